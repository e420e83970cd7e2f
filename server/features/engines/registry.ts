import type { EngineName } from '../../../shared/profiles'
import type { EngineAdapter } from './adapter'
import { customEngine } from './custom'
import { mlxLmServer } from './mlx-lm-server'
import { mlxOpenaiServer } from './mlx-openai-server'

export const ENGINES: Record<EngineName, EngineAdapter> = {
  'mlx-openai-server': mlxOpenaiServer,
  'mlx_lm.server': mlxLmServer,
  custom: customEngine,
}
