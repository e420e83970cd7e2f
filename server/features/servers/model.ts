import { t } from 'elysia'
import { idParam } from '../../http/ids'
import { LOG_TAIL_MAX_LINES } from '../../../shared/servers'

export const serverParams = t.Object({
  profileId: idParam('A profile'),
})

export const startQuery = t.Object({
  wait: t.Optional(t.BooleanString({ error: 'wait is true or false: true answers once the server is ready or has failed.' })),
})

export const logsQuery = t.Object({
  tail: t.Optional(
    t.Numeric({ minimum: 0, maximum: LOG_TAIL_MAX_LINES, multipleOf: 1, error: `tail is a number of lines from 0 to ${LOG_TAIL_MAX_LINES}.` }),
  ),
})
