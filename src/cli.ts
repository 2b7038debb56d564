/** `hotline <command>`: serve | migrate | check-config. Exit 0 ok, 1 failure, 2 usage/config. */
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, redactedConfig } from './config.ts'
import { createSql } from './db/sql.ts'
import { migrate } from './db/migrate.ts'
import { serve } from './serve.ts'

const USAGE = `usage: hotline <command>
  serve          run the server (migrates first)
  migrate        apply pending database migrations and exit
  check-config   validate the environment and print the effective configuration (secrets hidden)`

async function run(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } })
  const [command] = positionals
  if (values.help || !command) { process.stdout.write(USAGE + '\n'); return command || values.help ? 0 : 2 }
  switch (command) {
    case 'serve':
      await serve()
      return -1
    case 'migrate': {
      const config = loadConfig()
      const sql = createSql(config.HOTLINE_MIGRATE_DATABASE_URL ?? config.DATABASE_URL, { max: 1, applicationName: 'hotline-migrate' })
      try {
        const { applied } = await migrate(sql)
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
      } finally {
        await sql.end({ timeout: 5 })
      }
      return 0
    }
    case 'check-config':
      process.stdout.write(JSON.stringify(redactedConfig(loadConfig()), null, 2) + '\n')
      return 0
    default:
      process.stderr.write(`hotline: unknown command '${command}'\n${USAGE}\n`)
      return 2
  }
}

run().then((code) => { if (code >= 0) process.exit(code) }).catch((err) => {
  if (err instanceof ConfigError) { process.stderr.write(`hotline: ${err.message}\n`); process.exit(2) }
  process.stderr.write(`hotline: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
