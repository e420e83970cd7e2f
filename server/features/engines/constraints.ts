import mlxLm from './constraints/mlx-lm.txt'
import mlxOpenaiServer from './constraints/mlx-openai-server.txt'

/** The pinned versions of each managed engine, bundled with the server (the built bundle has no repository beside it). */
export const CONSTRAINTS: Record<string, string> = {
  'mlx-lm.txt': mlxLm,
  'mlx-openai-server.txt': mlxOpenaiServer,
}
