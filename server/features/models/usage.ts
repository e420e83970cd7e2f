/**
 * What the library needs to know about running servers. The server supervisor implements it;
 * until it is wired in, nothing is ever in use.
 */
export interface ModelUsage {
  /** True while a running (or starting) server has this model loaded. */
  isInUse(modelId: string): boolean
}

export const noModelUsage: ModelUsage = { isInUse: () => false }
