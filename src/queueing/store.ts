/**
 * Waiting callers in Redis: one sorted set per queue (score = priority then arrival) plus the
 * entry itself. Removing an entry is the atomic claim: of two nodes trying to offer the same
 * caller, only the one whose ZREM returns 1 goes on.
 */
import type { Redis } from 'ioredis'
import type { Sql } from '../db/sql.ts'
import { keys } from '../redis/keys.ts'
import type { LineConfig } from '../domain/lines.ts'
import type { QueueConfig, QueueEntry, RoutingStrategy } from './model.ts'
import { entryScore } from './rules.ts'

export class QueueWaitingStore {
  constructor(private readonly redis: Redis) {}

  async add(entry: QueueEntry): Promise<void> {
    await this.redis.multi()
      .set(keys.queueEntry(entry.callId), JSON.stringify(entry))
      .zadd(keys.queueWaiting(entry.queueId), entryScore(entry), entry.callId)
      .sadd(keys.activeQueues(), entry.queueId)
      .exec()
  }

  /** True when this call removed the entry (it was waiting); false when someone else did. */
  async remove(queueId: string, callId: string): Promise<boolean> {
    const results = await this.redis.multi().zrem(keys.queueWaiting(queueId), callId).del(keys.queueEntry(callId)).exec()
    return results?.[0]?.[1] === 1
  }

  async get(callId: string): Promise<QueueEntry | null> {
    const raw = await this.redis.get(keys.queueEntry(callId))
    return raw ? (JSON.parse(raw) as QueueEntry) : null
  }

  /** Waiting callers of the given queues, at most `limit` from the head of each. */
  async waiting(queueIds?: readonly string[], limit = -1): Promise<QueueEntry[]> {
    const ids = queueIds ?? (await this.redis.smembers(keys.activeQueues()))
    if (ids.length === 0) return []
    const pipe = this.redis.pipeline()
    for (const q of ids) pipe.zrange(keys.queueWaiting(q), 0, String(limit < 0 ? -1 : limit - 1))
    const callIds = ((await pipe.exec()) ?? []).flatMap(([, r]) => (r as string[]) ?? [])
    if (callIds.length === 0) return []
    const raws = await this.redis.mget(callIds.map((c) => keys.queueEntry(c)))
    return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as QueueEntry] : []))
  }

  async count(queueId: string): Promise<number> {
    return this.redis.zcard(keys.queueWaiting(queueId))
  }
}

interface QueueRow {
  id: string; name: string; strategy: RoutingStrategy; requiredSkills: string[]; wrapUpSeconds: number; ringTimeoutSeconds: number
  maxWaitSeconds: number | null; overflowQueueId: string | null; announceEverySeconds: number | null
}


/** Queue and line definitions from PostgreSQL, cached: they change rarely and are read per call. */
export class QueueDirectory {
  private queues = new Map<string, QueueConfig>()
  private lines = new Map<string, LineConfig>()
  private loadedAt = 0

  constructor(private readonly sql: Sql, private readonly ttlMs = 5000) {}

  async refresh(): Promise<void> {
    const rows = await this.sql<QueueRow[]>`select id, name, strategy, required_skills, wrap_up_seconds, ring_timeout_seconds, max_wait_seconds, overflow_queue_id, announce_every_seconds from queues`
    this.queues = new Map(rows.map((r) => [r.id, { ...r, requiredSkills: r.requiredSkills ?? [] }]))
    const lines = await this.sql<LineConfig[]>`select number, name, kind, queue_id, greeting, priority, hours, closed_dates, overflow_queue_id, overflow_after_seconds from lines`
    this.lines = new Map(lines.map((l) => [l.number, { ...l, closedDates: l.closedDates ?? [] }]))
    this.loadedAt = Date.now()
  }

  private async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt > this.ttlMs) await this.refresh()
  }

  async allQueues(): Promise<ReadonlyMap<string, QueueConfig>> {
    await this.fresh()
    return this.queues
  }

  async queue(id: string): Promise<QueueConfig | undefined> {
    await this.fresh()
    return this.queues.get(id)
  }

  async line(number: string): Promise<LineConfig | undefined> {
    await this.fresh()
    return this.lines.get(number)
  }

  async allLines(): Promise<LineConfig[]> {
    await this.fresh()
    return [...this.lines.values()]
  }

  /** The line a dialled number belongs to; unknown numbers fall back to the main 12345 line. */
  async lineFor(dialled: string): Promise<LineConfig | undefined> {
    await this.fresh()
    return this.lines.get(dialled) ?? [...this.lines.values()].find((l) => l.kind === 'main')
  }
}
