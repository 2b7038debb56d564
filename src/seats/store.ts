/** Seat assignments in PostgreSQL; the SIP password of a web seat's current sign-in in Redis. */
import type { Sql } from '../db/sql.ts'
import type { Redis } from '../redis/client.ts'
import { keys } from '../redis/keys.ts'
import type { SeatAssignment } from './model.ts'

export class SeatAssignments {
  constructor(private readonly sql: Sql) {}

  async list(): Promise<SeatAssignment[]> {
    return this.sql<SeatAssignment[]>`select id as seat, agent_id, host(workstation) as workstation, updated_by, updated_at from seats order by id`
  }

  async get(seat: string): Promise<SeatAssignment | null> {
    const [row] = await this.sql<SeatAssignment[]>`select id as seat, agent_id, host(workstation) as workstation, updated_by, updated_at from seats where id = ${seat}`
    return row ?? null
  }

  /** Returns the assignment before the change (null when the seat had none). */
  async assign(seat: string, to: { agentId: string | null; workstation: string | null }, by: string): Promise<SeatAssignment | null> {
    return this.sql.begin(async (tx) => {
      const [before] = await tx<SeatAssignment[]>`select id as seat, agent_id, host(workstation) as workstation, updated_by, updated_at from seats where id = ${seat} for update`
      await tx`insert into seats (id, agent_id, workstation, updated_by) values (${seat}, ${to.agentId}, ${to.workstation}, ${by})
        on conflict (id) do update set agent_id = excluded.agent_id, workstation = excluded.workstation, updated_by = excluded.updated_by, updated_at = now()`
      return before ?? null
    })
  }

  async unassign(seat: string): Promise<SeatAssignment | null> {
    const [row] = await this.sql<SeatAssignment[]>`delete from seats where id = ${seat} returning id as seat, agent_id, host(workstation) as workstation, updated_by, updated_at`
    return row ?? null
  }

  async userRole(userId: string): Promise<string | null> {
    const [row] = await this.sql<{ role: string }[]>`select role from users where id = ${userId}`
    return row?.role ?? null
  }
}

/** The password issued for a web seat's current sign-in, kept so a reloaded panel gets it again. */
export class SeatSecrets {
  constructor(private readonly redis: Redis) {}

  async put(seat: string, agentId: string, password: string): Promise<void> {
    await this.redis.hset(keys.seatSipPassword(seat), { agentId, password })
  }

  async get(seat: string): Promise<{ agentId: string; password: string } | null> {
    const v = await this.redis.hgetall(keys.seatSipPassword(seat))
    return v.agentId && v.password ? { agentId: v.agentId, password: v.password } : null
  }

  async drop(seat: string): Promise<void> {
    await this.redis.del(keys.seatSipPassword(seat))
  }

  /** Every web seat that has a live password (to push them again after Asterisk restarted). */
  async all(): Promise<{ seat: string; password: string }[]> {
    const out: { seat: string; password: string }[] = []
    let cursor = '0'
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', keys.seatSipPassword('*'), 'COUNT', 200)
      cursor = next
      for (const key of found) {
        const v = await this.redis.hgetall(key)
        if (v.password) out.push({ seat: key.slice(keys.seatSipPassword('').length), password: v.password })
      }
    } while (cursor !== '0')
    return out
  }
}
