/**
 * The server's start: validate config, migrate, start, listen; drain on SIGTERM/SIGINT.
 * Prints one line when the node is ready (listening; ARI subscribed; PostgreSQL and Redis
 * answering; migrations checked) with the time since the process started: a restart's window.
 */
import closeWithGrace from 'close-with-grace'
import { createHotline } from './app.ts'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { createSql } from './db/sql.ts'
import { migrate } from './db/migrate.ts'

// ari-client's swagger-client defines a global `log` that prints ARI's "deprecated version of
// Swagger!" notice as a raw array on every connect: nothing an operator can act on. Silenced
// here (the process entry), after the import that defined it; the library keeps working.
;(globalThis as { log?: unknown }).log = () => {}

export async function serve(): Promise<void> {
  // Where the start-up time goes (ms since the process started), printed with the ready line.
  const phases: Record<string, number> = { loaded: Math.round(performance.now()) }
  const mark = (name: string) => { phases[name] = Math.round(performance.now()) }
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hotline: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  const sql = createSql(config.HOTLINE_MIGRATE_DATABASE_URL ?? config.DATABASE_URL, { max: 1, applicationName: 'hotline-migrate' })
  try {
    const { applied } = await migrate(sql)
    if (applied.length) process.stderr.write(`hotline: applied migrations ${applied.join(', ')}\n`)
  } finally {
    await sql.end({ timeout: 5 })
  }
  mark('migrated')
  const hotline = await createHotline(config)
  mark('built')
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) hotline.app.log.error({ err }, 'shutting down after an error')
    else hotline.app.log.info({ signal }, 'shutting down')
    await hotline.close()
  })
  // Listen first, then connect to the PBX in the background: /ready answers 503 until ARI is up.
  const address = await hotline.app.listen({ host: config.HOST, port: config.PORT })
  mark('listening')
  await hotline.start({ waitForPbx: false })
  mark('started')
  process.stdout.write(`hotline: listening on ${address} (API docs at ${address}/docs)\n`)
  const ready = () => Promise.all([hotline.sql`select 1`, hotline.redis.ping()]).then(() => {
    const ms = Math.round(performance.now())
    hotline.app.log.info({ readyMs: ms, phases }, 'ready')
    const steps = Object.entries(phases).map(([k, v]) => `${k} ${v}`).join(', ')
    process.stdout.write(`hotline: ready ${ms} ms after the process started (ARI, PostgreSQL, Redis connected, migrations checked; ${steps}, ARI ${phases.ari ?? ms} ms)\n`)
  }).catch((err) => hotline.app.log.warn({ err }, 'readiness check after start failed'))
  if (hotline.ari.connected) { mark('ari'); void ready() } else hotline.ari.once('connected', () => { mark('ari'); void ready() })
}
