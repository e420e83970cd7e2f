import { t } from 'elysia'
import { idParam } from '../../http/ids'

/** The model id and revision are checked in the service (with a sentence); here only their size. */
export const newDownload = t.Object({
  modelId: t.String({ maxLength: 200, error: 'Send modelId as org/name, such as mlx-community/Qwen3-4B-4bit.' }),
  revision: t.Optional(t.String({ maxLength: 200 })),
})

export const downloadIdParams = t.Object({
  id: idParam('A download'),
})

export type NewDownload = typeof newDownload.static
