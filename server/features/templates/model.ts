import { t } from 'elysia'

// Names and sizes are checked by the service, whose messages never quote the content.
export const templateUpload = t.Object({
  name: t.String({ maxLength: 200, error: 'name is the template’s file name, such as qwen3-tools.jinja.' }),
  content: t.String({ error: 'content is the template’s text.' }),
})

export const templateNameParams = t.Object({ name: t.String({ maxLength: 200 }) })

export type TemplateUpload = typeof templateUpload.static
