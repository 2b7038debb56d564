/** Call records in PostgreSQL (the durable log) and live calls in Redis (shared state). */
import type { Redis } from 'ioredis'
import type { Sql } from '../db/sql.ts'
import { keys } from '../redis/keys.ts'
import type { CallOutcome, EndedBy, LiveCall } from './model.ts'
import { channelsOf, liveView, parseRecord, serializeRecord, type Call } from './call-state.ts'

/**
 * Live calls in Redis: the call machine's record (call-state.ts, every phase with its data and
 * due times) and an index from each of its channels to the call. `get` and `list` give the flat
 * view other capabilities read; `getCall` and `listCalls` the record itself.
 */
export class LiveCallStore {
  /** graceMs: dates a lost leg's grace in a flat record kept by an older server (no due time in it). */
  constructor(private readonly redis: Redis, private readonly graceMs = 0) {}

  /** Records the PBX start time seen now and returns the one seen before (null: none yet). */
  async swapPbxStartTime(current: string): Promise<string | null> {
    return this.redis.getset(keys.pbxStartTime(), current)
  }

  async save(call: Call): Promise<void> {
    const pipe = this.redis.multi().set(keys.call(call.callId), serializeRecord(call)).sadd(keys.liveCalls(), call.callId)
    // Every channel of the call (the seat, a seat dialled back in): its events must find the call on any node.
    for (const channelId of channelsOf(call)) pipe.set(keys.channelCall(channelId), call.callId)
    await pipe.exec()
  }

  async getCall(callId: string): Promise<Call | null> {
    const raw = await this.redis.get(keys.call(callId))
    return raw ? parseRecord(raw, this.graceMs) : null
  }

  /** The flat view of a live call (screen pop, wallboard, supervision, call control). */
  async get(callId: string): Promise<LiveCall | null> {
    const call = await this.getCall(callId)
    return call ? liveView(call) : null
  }

  async callIdForChannel(channelId: string): Promise<string | null> {
    return this.redis.get(keys.channelCall(channelId))
  }

  async listCalls(): Promise<Call[]> {
    const ids = await this.redis.smembers(keys.liveCalls())
    if (ids.length === 0) return []
    const raws = await this.redis.mget(ids.map((id) => keys.call(id)))
    return raws.flatMap((raw) => (raw ? [parseRecord(raw, this.graceMs)] : []))
  }

  async list(): Promise<LiveCall[]> {
    return (await this.listCalls()).map(liveView)
  }

  async forgetChannel(channelId: string): Promise<void> {
    await this.redis.del(keys.channelCall(channelId))
  }

  async remove(call: Call): Promise<void> {
    const pipe = this.redis.multi().del(keys.call(call.callId)).srem(keys.liveCalls(), call.callId)
    for (const channelId of channelsOf(call)) pipe.del(keys.channelCall(channelId))
    await pipe.exec()
  }
}

export type QueueLogEvent = 'entered' | 'offered' | 'answered' | 'abandoned' | 'ring-no-answer' | 'offer-rejected' | 'overflowed' | 'completed' | 'pbx-lost'
  /** A WebRTC seat's leg dropped mid-call / came back / did not come back in time (agent rejoin, migration 007). */
  | 'agent-leg-lost' | 'agent-rejoined' | 'rejoin-expired' | 'rejoin-limit'

export interface CallRow {
  id: string
  direction: string
  callerNumber: string
  dialledNumber: string
  lineNumber: string | null
  queueId: string | null
  agentId: string | null
  seat: string | null
  callerChannelId: string
  agentChannelId: string | null
  arrivedAt: Date
  queuedAt: Date | null
  offeredAt: Date | null
  answeredAt: Date | null
  endedAt: Date | null
  outcome: CallOutcome | null
  endedBy: EndedBy | null
  offerAttempts: number
  recordingName: string | null
}

const d = (ms: number | null) => (ms === null ? null : new Date(ms))

export class CallRecords {
  constructor(private readonly sql: Sql) {}

  /** Average talk time (answer to end) of the queue's last `recent` answered calls, seconds; null without any. */
  async averageHandleSeconds(queueId: string, recent = 200): Promise<number | null> {
    const [row] = await this.sql<{ avg: number | null }[]>`select avg(extract(epoch from ended_at - answered_at))::float8 as avg from (
      select ended_at, answered_at from calls where queue_id = ${queueId} and answered_at is not null and ended_at is not null
      order by ended_at desc limit ${recent}) recent`
    return row?.avg ?? null
  }

  async arrived(call: LiveCall): Promise<void> {
    await this.sql`insert into calls (id, caller_number, dialled_number, line_number, queue_id, caller_channel_id, arrived_at)
      values (${call.callId}, ${call.callerNumber}, ${call.dialledNumber}, ${call.lineNumber}, ${call.queueId}, ${call.callerChannelId}, ${d(call.arrivedAt)})`
  }

  async queued(call: LiveCall): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`update calls set queued_at = ${d(call.queuedAt)}, queue_id = ${call.queueId} where id = ${call.callId}`
      await tx`insert into queue_log (at, call_id, queue_id, line_number, event) values (${d(call.queuedAt)}, ${call.callId}, ${call.queueId}, ${call.lineNumber}, 'entered')`
    })
  }

  async offered(call: LiveCall): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`update calls set offered_at = ${d(call.offeredAt)}, agent_id = ${call.agentId}, seat = ${call.seat}, agent_channel_id = ${call.agentChannelId}, offer_attempts = ${call.offerAttempts} where id = ${call.callId}`
      await tx`insert into queue_log (at, call_id, queue_id, line_number, agent_id, event, wait_ms) values (${d(call.offeredAt)}, ${call.callId}, ${call.queueId}, ${call.lineNumber}, ${call.agentId}, 'offered', ${waitMs(call, call.offeredAt)})`
    })
  }

  async answered(call: LiveCall): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`update calls set answered_at = ${d(call.answeredAt)}, agent_id = ${call.agentId}, seat = ${call.seat}, agent_channel_id = ${call.agentChannelId}, recording_name = ${call.recordingName} where id = ${call.callId}`
      await tx`insert into queue_log (at, call_id, queue_id, line_number, agent_id, event, wait_ms) values (${d(call.answeredAt)}, ${call.callId}, ${call.queueId}, ${call.lineNumber}, ${call.agentId}, 'answered', ${waitMs(call, call.answeredAt)})`
    })
  }

  async log(call: LiveCall, event: QueueLogEvent, at: number, detail: Record<string, unknown> | null = null, agentId: string | null = call.agentId): Promise<void> {
    await this.sql`insert into queue_log (at, call_id, queue_id, line_number, agent_id, event, wait_ms, detail)
      values (${d(at)}, ${call.callId}, ${call.queueId}, ${call.lineNumber}, ${agentId}, ${event}, ${waitMs(call, at)}, ${detail === null ? null : this.sql.json(detail as never)})`
  }

  async ended(call: LiveCall, endedAt: number, outcome: CallOutcome, endedBy: EndedBy, logEvent: QueueLogEvent | null): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`update calls set ended_at = ${d(endedAt)}, outcome = ${outcome}, ended_by = ${endedBy}, agent_id = ${call.agentId}, seat = ${call.seat},
        recording_name = ${call.recordingName}, offer_attempts = ${call.offerAttempts} where id = ${call.callId}`
      if (logEvent) {
        await tx`insert into queue_log (at, call_id, queue_id, line_number, agent_id, event, wait_ms, detail)
          values (${d(endedAt)}, ${call.callId}, ${call.queueId}, ${call.lineNumber}, ${call.agentId}, ${logEvent}, ${waitMs(call, call.answeredAt ?? endedAt)},
          ${tx.json({ endedBy, talkMs: call.answeredAt ? endedAt - call.answeredAt : null } as never)})`
      }
    })
  }

  async get(callId: string): Promise<CallRow | null> {
    const [row] = await this.sql<CallRow[]>`select * from calls where id = ${callId}`
    return row ?? null
  }

  async search(filter: { callerNumber?: string; agentId?: string; from?: Date; to?: Date; limit: number }): Promise<CallRow[]> {
    return this.sql<CallRow[]>`select * from calls where true
      ${filter.callerNumber ? this.sql`and caller_number = ${filter.callerNumber}` : this.sql``}
      ${filter.agentId ? this.sql`and agent_id = ${filter.agentId}` : this.sql``}
      ${filter.from ? this.sql`and arrived_at >= ${filter.from}` : this.sql``}
      ${filter.to ? this.sql`and arrived_at < ${filter.to}` : this.sql``}
      order by arrived_at desc limit ${filter.limit}`
  }
}

/** Wait in queue up to `at`, from queue entry (the 15-second answer rate counts from there). */
function waitMs(call: LiveCall, at: number | null): number | null {
  if (call.queuedAt === null || at === null) return null
  return Math.max(0, at - call.queuedAt)
}
