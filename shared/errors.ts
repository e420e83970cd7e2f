/** The one error envelope every endpoint answers with. */
export interface ErrorEnvelope {
  error: { code: string; message: string }
}

export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false
  const { error } = value
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error
}
