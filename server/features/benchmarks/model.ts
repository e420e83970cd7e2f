import { t } from 'elysia'
import {
  BENCHMARK_MAX_GENERATED_TOKENS,
  BENCHMARK_MAX_PROMPT_TOKENS,
  BENCHMARK_MAX_SIZES,
  BENCHMARK_MIN_PROMPT_TOKENS,
} from '../../../shared/benchmarks'

export const startBody = t.Object({
  profileId: t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: 'profileId is the id of a profile whose server is ready.' }),
  promptSizes: t.Optional(
    t.Array(t.Integer({ minimum: BENCHMARK_MIN_PROMPT_TOKENS, maximum: BENCHMARK_MAX_PROMPT_TOKENS }), {
      minItems: 1,
      maxItems: BENCHMARK_MAX_SIZES,
      error: `promptSizes is a list of 1 to ${BENCHMARK_MAX_SIZES} prompt sizes, each ${BENCHMARK_MIN_PROMPT_TOKENS} to ${BENCHMARK_MAX_PROMPT_TOKENS} tokens.`,
    }),
  ),
  generatedTokens: t.Optional(
    t.Integer({ minimum: 1, maximum: BENCHMARK_MAX_GENERATED_TOKENS, error: `generatedTokens is 1 to ${BENCHMARK_MAX_GENERATED_TOKENS}.` }),
  ),
})
