import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { templateNameParams, templateUpload } from './model'
import type { TemplateService } from './service'

/** Admin-only: a template is read by engines and can decide what a model is told. */
export function templateRoutes(templates: TemplateService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/templates' })
    .use(session)
    .get('/', () => templates.list(), { admin: true })
    .post(
      '/',
      ({ body, status }) => {
        const saved = templates.save(body.name, body.content)
        return saved.created ? status(201, saved.file) : status(200, saved.file)
      },
      { admin: true, body: templateUpload },
    )
    .delete(
      '/:name',
      ({ params, status }) => {
        templates.remove(params.name)
        return status(204)
      },
      { admin: true, params: templateNameParams },
    )
}
