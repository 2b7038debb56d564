/** Users (登录用户): agents, supervisors, administrators, and units' staff. */
import type { Sql } from '../db/sql.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import type { Role } from './plugin.ts'

/** mustChangePassword: the generated first administrator's password, to be changed before anything else. */
export interface User { id: string; displayName: string; role: Role; disabled: boolean; unitId: string | null; mustChangePassword: boolean }

export class UserStore {
  constructor(private readonly sql: Sql) {}

  async authenticate(id: string, password: string): Promise<User | null> {
    const [row] = await this.sql<(User & { passwordHash: string })[]>`select id, display_name, role, disabled, unit_id, must_change_password, password_hash from users where id = ${id}`
    if (!row || row.disabled) {
      await hashPassword(password) // same work either way, so timing does not reveal which ids exist
      return null
    }
    if (!(await verifyPassword(password, row.passwordHash))) return null
    const { passwordHash: _hash, ...user } = row
    return user
  }

  /** Creates the user; false when the id is taken. Agents get a profile (skills, queues); unit users name their unit. */
  async create(user: { id: string; displayName: string; role: Role; password: string; skills?: Record<string, number>; queues?: string[]; unitId?: string; mustChangePassword?: boolean }): Promise<boolean> {
    const passwordHash = await hashPassword(user.password)
    return this.sql.begin(async (tx) => {
      const rows = await tx`insert into users (id, display_name, role, password_hash, unit_id, must_change_password)
        values (${user.id}, ${user.displayName}, ${user.role}, ${passwordHash}, ${user.unitId ?? null}, ${user.mustChangePassword ?? false})
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
      select u.id, u.display_name, u.role, u.disabled, u.unit_id, u.must_change_password, p.skills, p.queues from users u left join agent_profiles p on p.agent_id = u.id where u.id = ${id}`
    return row ?? null
  }

  async list(): Promise<User[]> {
    return this.sql<User[]>`select id, display_name, role, disabled, unit_id, must_change_password from users order by id`
  }

  /** False when there is no such user. */
  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    return (await this.sql`update users set disabled = ${disabled} where id = ${id} returning id`).length > 0
  }

  /** False when there is no such user. A pending first change is done with it. */
  async setPassword(id: string, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(password)
    return (await this.sql`update users set password_hash = ${passwordHash}, must_change_password = false where id = ${id} returning id`).length > 0
  }

  /**
   * Gives the user another role (and, for role 'unit', its unit). An agent keeps its routing
   * profile; a user becoming an agent gets the default one. Null when there is no such user,
   * else the role it had.
   */
  async setRole(id: string, role: Role, unitId: string | null): Promise<Role | null> {
    return this.sql.begin(async (tx) => {
      const [before] = await tx<{ role: Role }[]>`select role from users where id = ${id} for update`
      if (!before) return null
      await tx`update users set role = ${role}, unit_id = ${role === 'unit' ? unitId : null} where id = ${id}`
      if (role === 'agent') await tx`insert into agent_profiles (agent_id, skills, queues) values (${id}, ${tx.json({} as never)}, ${['general']}) on conflict (agent_id) do nothing`
      return before.role
    })
  }

  async unitExists(unitId: string): Promise<boolean> {
    return (await this.sql`select 1 from units where id = ${unitId} and active`).length > 0
  }

  async count(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`select count(*)::int as n from users`
    return row?.n ?? 0
  }

  /**
   * The first administrator, created only when the table is empty (a fresh installation). Its
   * password was generated at set-up and sits in a file: it must be changed at the first login.
   */
  async bootstrapAdmin(password: string): Promise<boolean> {
    if ((await this.count()) > 0) return false
    return this.create({ id: 'admin', displayName: '系统管理员', role: 'admin', password, mustChangePassword: true })
  }
}
