import type { ChatRequestRecord } from './repository'

const QUANTILES = [0.5, 0.9, 0.99]

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** The Prometheus text exposition format (version 0.0.4) of the chat measurements, per profile. */
export function prometheusText(groups: Map<number, ChatRequestRecord[]>): string {
  const lines: string[] = []
  const counter = (name: string, help: string, value: (records: ChatRequestRecord[]) => number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`)
    for (const [profileId, records] of groups) lines.push(`${name}{profile_id="${profileId}"} ${value(records)}`)
  }
  const summary = (name: string, help: string, pick: (record: ChatRequestRecord) => number | null) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`)
    for (const [profileId, records] of groups) {
      const values = records
        .filter((record) => record.errorCode === null)
        .map(pick)
        .filter((value): value is number => value !== null)
        .sort((a, b) => a - b)
      const label = `profile_id="${profileId}"`
      if (values.length > 0) for (const q of QUANTILES) lines.push(`${name}{${label},quantile="${q}"} ${quantile(values, q)}`)
      lines.push(`${name}_sum{${label}} ${values.reduce((sum, value) => sum + value, 0)}`, `${name}_count{${label}} ${values.length}`)
    }
  }
  counter('mlx_manager_chat_requests_total', 'Chat requests proxied to the model server.', (records) => records.length)
  counter('mlx_manager_chat_errors_total', 'Chat requests that ended in an error.', (records) => records.filter((record) => record.errorCode !== null).length)
  counter('mlx_manager_chat_prompt_tokens_total', 'Prompt tokens the engine reported.', (records) => records.reduce((sum, record) => sum + (record.promptTokens ?? 0), 0))
  counter('mlx_manager_chat_completion_tokens_total', 'Completion tokens generated.', (records) => records.reduce((sum, record) => sum + record.completionTokens, 0))
  const perKey = (name: string, help: string, value: (records: ChatRequestRecord[]) => number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`)
    for (const [profileId, records] of groups) {
      const byKey = new Map<number, ChatRequestRecord[]>()
      for (const record of records) if (record.keyId !== null) byKey.set(record.keyId, [...(byKey.get(record.keyId) ?? []), record])
      for (const [keyId, keyed] of byKey) lines.push(`${name}{profile_id="${profileId}",key_id="${keyId}"} ${value(keyed)}`)
    }
  }
  perKey('mlx_manager_gateway_requests_total', 'Gateway requests per API key.', (records) => records.length)
  perKey('mlx_manager_gateway_errors_total', 'Gateway requests per API key that ended in an error.', (records) => records.filter((record) => record.errorCode !== null).length)
  perKey('mlx_manager_gateway_tokens_total', 'Prompt and completion tokens per API key.', (records) => records.reduce((sum, record) => sum + (record.promptTokens ?? 0) + record.completionTokens, 0))
  summary('mlx_manager_chat_time_to_first_token_seconds', 'Time to first token measured by the proxy.', (record) =>
    record.timeToFirstTokenMs === null ? null : record.timeToFirstTokenMs / 1000,
  )
  summary('mlx_manager_chat_generation_tokens_per_second', 'Generation speed of each reply.', (record) => record.tokensPerSecond)
  return `${lines.join('\n')}\n`
}
