/** Redis connections: one for commands; callers that subscribe take a duplicate. */
import { Redis } from 'ioredis'

export function createRedis(url: string, name = 'hotline'): Redis {
  return new Redis(url, {
    connectionName: name,
    // Commands wait for a reconnect instead of failing at once; readiness reports the outage.
    maxRetriesPerRequest: 20,
    enableAutoPipelining: true,
    lazyConnect: false
  })
}

export type { Redis }
