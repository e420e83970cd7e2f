/** Reading the text files of a model repo: tolerant, because any of them can be missing or odd. */

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}

/**
 * A `chat_template` value: a string, or (newer tokenizers) a list of named templates such as
 * `default` and `tool_use`, which are read together so tool support in any of them counts.
 */
export function templateValue(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (!Array.isArray(value)) return null
  const parts = value.filter(isObject).map((entry) => entry.template).filter((template): template is string => typeof template === 'string')
  return parts.length === 0 ? null : parts.join('\n')
}

/** `chat_template.jinja` is the template itself; `chat_template.json` wraps it as `{chat_template}`. */
export function chatTemplateOf(path: string, text: string): string | null {
  if (path.endsWith('.jinja')) return text
  const parsed = parseJson(text)
  return isObject(parsed) ? templateValue(parsed.chat_template) : null
}

/** The template the hub includes in its trimmed config, which saves reading tokenizer_config.json per result. */
export function hubChatTemplate(config: Json | null): string | null {
  if (config === null) return null
  const tokenizer = config.tokenizer_config
  const fromTokenizer = isObject(tokenizer) ? templateValue(tokenizer.chat_template) : null
  return fromTokenizer ?? (typeof config.chat_template_jinja === 'string' ? config.chat_template_jinja : null)
}

export function hubModelType(config: Json | null): string | null {
  return typeof config?.model_type === 'string' ? config.model_type : null
}

/** The chat template and special tokens from tokenizer_config.json. */
export function tokenizerFacts(text: string | null): { chatTemplate: string | null; addedTokens: string[] } {
  const parsed = text === null ? null : parseJson(text)
  if (!isObject(parsed)) return { chatTemplate: null, addedTokens: [] }
  const decoder = isObject(parsed.added_tokens_decoder) ? Object.values(parsed.added_tokens_decoder) : []
  const addedTokens = decoder.filter(isObject).map((token) => token.content).filter((content): content is string => typeof content === 'string')
  return { chatTemplate: templateValue(parsed.chat_template), addedTokens }
}

/** The card without its YAML front matter: those fields are already in the model's license, tags and base model. */
export function stripFrontMatter(markdown: string): string {
  const match = /^---\r?\n[\s\S]*?\r?\n---\r?\n/.exec(markdown)
  return match === null ? markdown : markdown.slice(match[0].length).replace(/^\s*\n/, '')
}
