/** Users (登录用户): agents, supervisors, administrators, and units' staff. */
import type { Sql } from '../db/sql.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import type { Role } from './plugin.ts'

export interface User { id: string; displayName: string; role: Role; disabled: boolean; unitId: string | null }

export class UserStore {
  constructor(private readonly sql: Sql) {}

  async authenticate(id: string, password: string): Promise<User | null> {
    const [row] = await this.sql<(User & { passwordHash: string })[]>`select id, display_name, role, disabled, unit_id, password_hash from users where id = ${id}`
    if (!row || row.disabled) {
      await hashPassword(password) // same work either way, so timing does not reveal which ids exist
      return null
    }
    return (await verifyPassword(password, row.passwordHash)) ? { id: row.id, displayName: row.displayName, role: row.role, disabled: row.disabled, unitId: row.unitId } : null
  }

  /** Creates the user; false when the id is taken. Agents get a profile (skills, queues); unit users name their unit. */
  async create(user: { id: string; displayName: string; role: Role; password: string; skills?: Record<string, number>; queues?: string[]; unitId?: string }): Promise<boolean> {
    const passwordHash = await hashPassword(user.password)
    return this.sql.begin(async (tx) => {
      const rows = await tx`insert into users (id, display_name, role, password_hash, unit_id) values (${user.id}, ${user.displayName}, ${user.role}, ${passwordHash}, ${user.unitId ?? null})
        on conflict (id) do nothing returning id`
      if (rows.length === 0) return false
      if (user.role === 'agent') {
        await tx`insert into agent_profiles (agent_id, skills, queues) values (${user.id}, ${tx.json((user.skills ?? {}) as never)}, ${user.queues ?? ['general']})`
      }
      return true
    })
  }

  async get(id: string): Promise<(User & { skills: Record<string, number> | null; queues: string[] | null }) | null> {
    const [row] = await this.sql<(User & { skills: Record<string, number> | null; queues: string[] | null })[]>`
      select u.id, u.display_name, u.role, u.disabled, u.unit_id, p.skills, p.queues from users u left join agent_profiles p on p.agent_id = u.id where u.id = ${id}`
    return row ?? null
  }

  async list(): Promise<User[]> {
    return this.sql<User[]>`select id, display_name, role, disabled, unit_id from users order by id`
  }

  /** False when there is no such user. */
  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    return (await this.sql`update users set disabled = ${disabled} where id = ${id} returning id`).length > 0
  }

  /** False when there is no such user. */
  async setPassword(id: string, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(password)
    return (await this.sql`update users set password_hash = ${passwordHash} where id = ${id} returning id`).length > 0
  }

  async unitExists(unitId: string): Promise<boolean> {
    return (await this.sql`select 1 from units where id = ${unitId} and active`).length > 0
  }

  async count(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`select count(*)::int as n from users`
    return row?.n ?? 0
  }

  /** The first administrator, created only when the table is empty (a fresh installation). */
  async bootstrapAdmin(password: string): Promise<boolean> {
    if ((await this.count()) > 0) return false
    return this.create({ id: 'admin', displayName: '系统管理员', role: 'admin', password })
  }
}
