/**
 * Live agent state in Redis (shared by every node) and the durable state log in PostgreSQL.
 * Writes are compare-and-set on the record's version, so two nodes (or two lanes) can never
 * both move the same agent, which is what makes reserving an agent for an offer atomic.
 */
import type { Redis } from 'ioredis'
import type { Sql } from '../db/sql.ts'
import { keys } from '../redis/keys.ts'
import { signedOutAgent, type AgentLive } from './model.ts'

const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local version = 0
if cur then version = tonumber(cjson.decode(cur)['version']) end
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == '1' then redis.call('SADD', KEYS[2], ARGV[4]) else redis.call('SREM', KEYS[2], ARGV[4]) end
return 1`

export class AgentLiveStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('hotlineAgentCas', { numberOfKeys: 2, lua: CAS_SCRIPT })
  }

  async get(agentId: string, now: number, day: string): Promise<AgentLive> {
    const raw = await this.redis.get(keys.agent(agentId))
    return raw ? (JSON.parse(raw) as AgentLive) : signedOutAgent(agentId, now, day)
  }

  /** Writes `next` only if the stored version is still `expectedVersion`. */
  async compareAndSet(next: AgentLive, expectedVersion: number): Promise<boolean> {
    const signedIn = next.state === 'signed-out' ? '0' : '1'
    const cas = (this.redis as unknown as { hotlineAgentCas: (...a: string[]) => Promise<number> }).hotlineAgentCas
    const ok = await cas.call(this.redis, keys.agent(next.agentId), keys.signedInAgents(), String(expectedVersion), JSON.stringify(next), signedIn, next.agentId)
    return ok === 1
  }

  async listSignedIn(): Promise<AgentLive[]> {
    const ids = await this.redis.smembers(keys.signedInAgents())
    if (ids.length === 0) return []
    const raws = await this.redis.mget(ids.map((id) => keys.agent(id)))
    return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as AgentLive] : []))
  }

  /** Claims a seat for an agent; false when another agent holds it. */
  async claimSeat(seat: string, agentId: string): Promise<boolean> {
    const ok = await this.redis.set(keys.seatOwner(seat), agentId, 'NX')
    if (ok === 'OK') return true
    return (await this.redis.get(keys.seatOwner(seat))) === agentId
  }

  async seatOwner(seat: string): Promise<string | null> {
    return this.redis.get(keys.seatOwner(seat))
  }

  async releaseSeat(seat: string, agentId: string): Promise<void> {
    if ((await this.redis.get(keys.seatOwner(seat))) === agentId) await this.redis.del(keys.seatOwner(seat))
  }
}

export interface AgentProfile {
  agentId: string
  displayName: string
  skills: Record<string, number>
  queues: string[]
}

export class AgentRecords {
  constructor(private readonly sql: Sql) {}

  async logStateChange(prev: AgentLive, next: AgentLive, actor: string | null): Promise<void> {
    await this.sql`insert into agent_state_log (at, agent_id, state, reason, previous_state, seat, call_id, actor)
      values (${new Date(next.since)}, ${next.agentId}, ${next.state}, ${next.reason}, ${prev.state}, ${next.seat ?? prev.seat}, ${next.callId ?? prev.callId}, ${actor})`
  }

  async profile(agentId: string): Promise<AgentProfile | null> {
    const [row] = await this.sql<{ id: string; displayName: string; skills: Record<string, number> | null; queues: string[] | null }[]>`
      select u.id, u.display_name, p.skills, p.queues from users u left join agent_profiles p on p.agent_id = u.id
      where u.id = ${agentId} and u.role = 'agent' and not u.disabled`
    if (!row) return null
    return { agentId: row.id, displayName: row.displayName, skills: row.skills ?? {}, queues: row.queues ?? ['general'] }
  }

  async profiles(agentIds: readonly string[]): Promise<AgentProfile[]> {
    if (agentIds.length === 0) return []
    const rows = await this.sql<{ id: string; displayName: string; skills: Record<string, number> | null; queues: string[] | null }[]>`
      select u.id, u.display_name, p.skills, p.queues from users u left join agent_profiles p on p.agent_id = u.id
      where u.id in ${this.sql(agentIds as string[])}`
    return rows.map((row) => ({ agentId: row.id, displayName: row.displayName, skills: row.skills ?? {}, queues: row.queues ?? ['general'] }))
  }
}
