import { t } from 'elysia'
import { ENGINE_NAMES } from '../../../shared/profiles'
import { HF_TOKEN_MAX_LENGTH } from '../../../shared/settings'

export const tokenChange = t.Object(
  { token: t.String({ maxLength: HF_TOKEN_MAX_LENGTH * 2, error: 'token is the HuggingFace access token, as text.' }) },
  { error: 'Send {"token": "hf_…"}; to remove the token, send DELETE instead.' },
)

export const defaultsChange = t.Object(
  {
    // Checked against the engine names in the service, with the list in its sentence.
    engine: t.Optional(t.String({ maxLength: 64, error: `The engine is one of ${ENGINE_NAMES.join(', ')}.` })),
    idleTimeoutMinutes: t.Optional(t.Nullable(t.Integer({ error: 'The idle time is a whole number of minutes, or null to keep servers running.' }))),
  },
  { minProperties: 1, error: 'Send the defaults to change, such as {"engine": "mlx_lm.server", "idleTimeoutMinutes": 30}.' },
)

export type DefaultsChange = typeof defaultsChange.static
