/**
 * Least privilege of the local set-up (scripts/services.sh, dialplans/, migration 014), tried as
 * another local process would: PostgreSQL takes no connection without a password (no trust), the
 * server's role hotline_app reads and writes rows but changes no schema and is no superuser;
 * Redis answers nobody without its password (Socket.IO sessions and agent state cannot be read or
 * forged); Asterisk runs as its own user and has no AMI listening at all (no write=all user to
 * originate calls with).
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import t from 'tap'
import { STATE_DIR, testConfig } from '../../helpers/services.ts'

async function pgError(url: string, query = 'select 1'): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await sql.unsafe(query)
    return 'connected'
  } catch (err) {
    return (err as Error).message
  } finally {
    await sql.end({ timeout: 1 })
  }
}

t.test('PostgreSQL: passwords only, and the server\'s role changes no schema', async (t) => {
  const config = testConfig()
  const app = new URL(config.DATABASE_URL)
  t.equal(app.username, 'hotline_app', 'the server connects as hotline_app')
  t.ok(app.password.length >= 32, 'with a generated password')
  t.ok(config.HOTLINE_MIGRATE_DATABASE_URL && new URL(config.HOTLINE_MIGRATE_DATABASE_URL).username === 'hotline', 'migrations run as the owner hotline')
  const as = (user: string, password = '') => { const u = new URL(config.DATABASE_URL); u.username = user; u.password = password; return u.toString() }
  t.match(await pgError(as('postgres')), /password|authentication/i, 'the superuser without a password: refused (it used to be trusted)')
  t.match(await pgError(as('hotline_app')), /password|authentication/i, 'the application role without its password: refused')
  t.match(await pgError(as('hotline_app', 'guess')), /password authentication failed/, 'with a wrong one: refused')
  t.match(await pgError(as('hotline', 'guess')), /password authentication failed/, 'the owner with a wrong one: refused')

  const sql = postgres(config.DATABASE_URL, { max: 1, onnotice: () => {} })
  t.teardown(() => sql.end({ timeout: 2 }))
  const [role] = await sql`select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = current_user`
  t.same(role, { rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false }, 'no superuser, no role or database creation')
  t.ok((await sql`select count(*) from calls`).length === 1, 'it reads the application\'s tables')
  for (const [query, why] of [
    ['create table intruder (x int)', 'create a table'],
    ['alter table calls add column intruder int', 'alter a table'],
    ['drop table queue_log', 'drop a table'],
    ['truncate calls', 'truncate'],
    ['delete from audit_log', 'delete audit rows'],
    ['update audit_log set outcome = \'success\'', 'rewrite audit rows'],
    ['delete from schema_migrations', 'rewrite the migration record'],
    ['create role intruder', 'create a role']
  ] as const) {
    t.match(await pgError(config.DATABASE_URL, query), /permission denied|must be owner/, `it may not ${why}`)
  }
})

t.test('Asterisk runs as its own user, not root', async (t) => {
  const pid = Number(readFileSync(path.join(STATE_DIR, 'asterisk.pid'), 'utf8').trim())
  const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])
  t.not(uid, 0, `Asterisk (pid ${pid}) runs as uid ${uid} (-U asterisk in scripts/services.sh)`)
})

/** Sends raw RESP commands over TCP, as any local process could, and returns the first reply line of each. */
function redisRaw(port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let buf = ''
    socket.setTimeout(3000, () => { socket.destroy(); reject(new Error(`no answer: ${buf}`)) })
    socket.on('data', (d) => {
      buf += String(d)
      const lines = buf.split('\r\n').filter(Boolean)
      if (lines.length >= commands.length) { socket.destroy(); resolve(lines.slice(0, commands.length)) }
    })
    socket.once('error', reject)
    socket.once('connect', () => socket.write(commands.map((c) => `${c}\r\n`).join('')))
  })
}

t.test('Redis requires its password; the URL the server is given carries it', async (t) => {
  const url = new URL(testConfig().REDIS_URL)
  t.ok(url.password.length >= 32, 'REDIS_URL has a password')
  const [ping, read, guess] = await redisRaw(Number(url.port), ['PING', 'GET hotline:agents:signed-in', 'AUTH guess'])
  t.match(ping, /^-NOAUTH/, 'without the password: NOAUTH')
  t.match(read, /^-NOAUTH/, 'no reads either')
  t.match(guess, /^-WRONGPASS/, 'a wrong password is refused')
  const server = new Redis(url.toString(), { maxRetriesPerRequest: 1 })
  t.teardown(() => server.disconnect())
  t.equal(await server.ping(), 'PONG', 'with it: PONG')
})

t.test('AMI is off: nothing listens on 5038', async (t) => {
  const result = await new Promise<string>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 5038 })
    socket.setTimeout(3000, () => { socket.destroy(); resolve('timeout') })
    socket.once('data', (d) => { socket.destroy(); resolve(`banner: ${String(d).trim()}`) })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
  })
  t.equal(result, 'ECONNREFUSED', 'connection refused (it used to answer "Asterisk Call Manager")')
})
