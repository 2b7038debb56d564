/** Starts a real Hotline (real ARI, PostgreSQL, Redis) for one test file, on a clean slate. */
import type { Test } from 'tap'
import { createHotline, type Hotline } from '../../src/app.ts'
import { createSql, type Sql } from '../../src/db/sql.ts'
import { migrate } from '../../src/db/migrate.ts'
import { testConfig } from './services.ts'
import { AriRest } from '../../src/pbx/ari/rest.ts'

export const ADMIN_PASSWORD = 'admin-test-password'

/**
 * The schema owner's URL (HOTLINE_MIGRATE_DATABASE_URL): migrations, and what a test does that
 * the server's own role may not (TRUNCATE, test triggers, back-dated audit rows).
 */
export function ownerDatabaseUrl(config = testConfig()): string {
  return config.HOTLINE_MIGRATE_DATABASE_URL ?? config.DATABASE_URL
}

/** A connection as the schema owner, closed at the end of the test. */
export function ownerSql(t: Test, config = testConfig()): Sql {
  const sql = createSql(ownerDatabaseUrl(config), { max: 2, applicationName: 'hotline-test-owner' })
  t.teardown(() => sql.end({ timeout: 5 }))
  return sql
}

/**
 * Empties the call and agent records and the shared live state, and hangs up whatever an
 * earlier test left on the PBX, so test files do not see each other's calls.
 */
export async function resetWorld(config = testConfig()): Promise<void> {
  const sql = createSql(ownerDatabaseUrl(config), { max: 1 })
  try {
    await migrate(sql)
    await sql`truncate calls, queue_log, agent_state_log`
    await sql`delete from seats`
    await sql`delete from users`
    await sql`delete from lines where number <> '12345'`
    await sql`delete from queues where id <> 'general'`
    // Every setting a test file may change goes back to the default, so files do not depend on their order.
    await sql`update queues set wrap_up_seconds = 2, ring_timeout_seconds = 15, strategy = 'longest-idle', required_skills = '{}',
      max_wait_seconds = null, overflow_queue_id = null, announce_every_seconds = null where id = 'general'`
  } finally {
    await sql.end({ timeout: 5 })
  }
  const { Redis } = await import('ioredis')
  const redis = new Redis(config.REDIS_URL)
  await redis.flushdb()
  redis.disconnect()
  const rest = new AriRest({ url: config.HOTLINE_ARI_URL, user: config.HOTLINE_ARI_USER, password: config.HOTLINE_ARI_PASSWORD })
  for (const ch of await rest.listChannels()) await rest.hangup(ch.id).catch(() => {})
  for (const br of await rest.listBridges()) await rest.destroyBridge(br.id).catch(() => {})
}

export async function startHotline(t: Test, overrides: Record<string, string> = {}, opts: { reset?: boolean } = {}): Promise<Hotline> {
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, ...overrides })
  if (opts.reset !== false) await resetWorld(config)
  const hotline = await createHotline(config)
  t.teardown(() => hotline.close())
  await hotline.start()
  return hotline
}

/**
 * Logs in and returns the access token. The test files stand for an installation whose first
 * administrator changed the generated password already (test/integration/auth/sessions.test.ts
 * walks that change): when the login says the change is pending, the flag is cleared in the
 * database, as the change would have, and the user logs in again.
 */
export async function tokenFor(hotline: Hotline, username: string, password: string): Promise<string> {
  const login = () => hotline.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username, password } })
  let res = await login()
  if (res.statusCode !== 200) throw new Error(`login of ${username} failed: ${res.statusCode} ${res.body}`)
  if ((res.json() as { passwordChangeRequired?: boolean }).passwordChangeRequired) {
    await hotline.sql`update users set must_change_password = false where id = ${username}`
    res = await login()
  }
  return (res.json() as { token: string }).token
}

/** The first administrator's password counts as changed (see tokenFor), for a server started as its own process. */
export async function firstPasswordChanged(databaseUrl: string, userId = 'admin'): Promise<void> {
  const sql = createSql(databaseUrl, { max: 1 })
  try { await sql`update users set must_change_password = false where id = ${userId}` } finally { await sql.end({ timeout: 5 }) }
}

/**
 * Creates a user (an agent unless `extra.role` says otherwise) and returns its token. `seat`: the
 * administrator also assigns that seat to the new user (PUT /v1/seats/{seat}), as an agent may
 * only sign in to a seat assigned to them.
 */
export async function createAgent(hotline: Hotline, adminToken: string, id: string, extra: Record<string, unknown> & { seat?: string } = {}): Promise<string> {
  const { seat, ...user } = extra
  const password = `${id}-password`
  const res = await hotline.app.inject({
    method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${adminToken}` },
    payload: { id, displayName: `坐席${id}`, role: 'agent', password, ...user }
  })
  if (res.statusCode !== 201) throw new Error(`creating agent ${id} failed: ${res.statusCode} ${res.body}`)
  if (seat !== undefined) await assignSeat(hotline, adminToken, seat, id)
  return tokenFor(hotline, id, password)
}

/** The administrator assigns `seat` to user `agentId` (an agent, or a supervisor's phone). */
export async function assignSeat(hotline: Hotline, adminToken: string, seat: string, agentId: string): Promise<void> {
  const res = await hotline.app.inject({ method: 'PUT', url: `/v1/seats/${seat}`, headers: { authorization: `Bearer ${adminToken}` }, payload: { agentId } })
  if (res.statusCode !== 200) throw new Error(`assigning seat ${seat} to ${agentId} failed: ${res.statusCode} ${res.body}`)
}

export async function agentCommand(hotline: Hotline, token: string, agentId: string, command: string, payload?: object) {
  const res = await hotline.app.inject({ method: 'POST', url: `/v1/agents/${agentId}/${command}`, headers: { authorization: `Bearer ${token}` }, payload })
  if (res.statusCode !== 200) throw new Error(`${command} for ${agentId} failed: ${res.statusCode} ${res.body}`)
  return res.json() as { state: string; reason: string | null; seat: string | null }
}

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false | null>, ms = 15000, every = 50): Promise<T> {
  const end = Date.now() + ms
  let last: unknown
  while (Date.now() < end) {
    try {
      const v = await check()
      if (v !== undefined && v !== false && v !== null) return v
    } catch (err) { last = err }
    await new Promise((r) => setTimeout(r, every))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`)
}
