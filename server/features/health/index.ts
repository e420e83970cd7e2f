import { Elysia } from 'elysia'

export function healthRoutes(version: string) {
  return new Elysia().get('/api/health', () => ({ status: 'ok' as const, version }))
}
