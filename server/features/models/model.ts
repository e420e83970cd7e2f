import { t } from 'elysia'

/** Checked loosely here; the service validates `org/name` as a whole with a sentence. */
export const modelParams = t.Object({
  org: t.String({ maxLength: 100 }),
  name: t.String({ maxLength: 100 }),
})
