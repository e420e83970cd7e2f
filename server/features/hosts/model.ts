import { t } from 'elysia'
import { HOST_LIMITS as L } from '../../../shared/hosts'
import { idParam } from '../../http/ids'

/** Types only, with a sentence for each wrong type; formats are checked by shared/hosts.ts `hostProblems`. */
const text = (max: number, error: string) => t.String({ maxLength: max * 4, error })

const fields = {
  address: t.Optional(text(45, 'The address is an IP address such as 192.168.1.20.')),
  sshUser: t.Optional(t.Nullable(text(L.userMaxLength, 'The SSH user is a user name such as studio (null for this machine).'))),
  pythonEnv: t.Optional(text(L.pathMaxLength, 'The Python environment is an absolute path to a virtual environment with mlx-lm.')),
  local: t.Optional(t.Boolean({ error: 'local is true for this machine (its ranks run without SSH), false otherwise.' })),
  rdmaDevice: t.Optional(t.Nullable(text(L.rdmaDeviceMaxLength, 'The RDMA device is a name such as rdma_en2, or null.'))),
}

const name = text(L.nameMaxLength, 'The name is text, such as studio-1.')

const address = text(45, 'The address is an IP address such as 192.168.1.20.')
const pythonEnv = text(L.pathMaxLength, 'The Python environment is an absolute path to a virtual environment with mlx-lm.')

export const hostCreate = t.Object(
  { ...fields, name, address, pythonEnv },
  { error: 'Send a host as a JSON object: {"name", "address", "sshUser", "pythonEnv"} (and "local": true for this machine).' },
)

export const hostPatch = t.Object(
  { name: t.Optional(name), ...fields },
  { minProperties: 1, error: 'Send the fields to change as a JSON object.' },
)

export const hostIdParams = t.Object({ id: idParam('A host') })

export const hostCheckBody = t.Optional(
  t.Object(
    { profileId: t.Optional(t.Integer({ minimum: 1, error: 'profileId is the id of a profile whose model should be looked for on the host.' })) },
    { error: 'Send {} or {"profileId": 3} to also look for that profile\'s model and memory on the host.' },
  ),
)

export type HostCreate = typeof hostCreate.static
export type HostPatch = typeof hostPatch.static
