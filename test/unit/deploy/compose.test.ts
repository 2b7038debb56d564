/**
 * docker-compose.yml cannot be run on the machines this project is tested on (no Docker engine),
 * so it is checked here: it parses, every variable a service is given is one that service reads
 * (the server's configuration schema; for the Asterisk container the PBX renderer's placeholders
 * and settings and its entry script; the official postgres image's documented ones), every
 * ${VAR} taken from .env is named in the file's header, and the files the services mount or run exist.
 * Pure file reading, no services.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ConfigSchema } from '../../../src/config.ts'
import { REPO } from '../../helpers/services.ts'

interface Service { image?: string; command?: string[] | string; environment?: Record<string, string>; volumes?: string[]; healthcheck?: unknown }
const text = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8')
const compose = parse(text) as { services: Record<string, Service> }
const read = (f: string) => readFileSync(path.join(REPO, f), 'utf8')
const matches = (s: string, re: RegExp) => [...s.matchAll(re)].map((m) => m[1]!)

/** What each service's program reads from its environment, from the sources themselves. */
const readsBy: Record<string, Set<string>> = {
  hotline: new Set(Object.keys(ConfigSchema.properties)),
  asterisk: new Set([
    ...readdirSync(path.join(REPO, 'dialplans')).filter((f) => f.endsWith('.conf')).flatMap((f) => matches(read(`dialplans/${f}`), /\$\{(HOTLINE_[A-Z0-9_]+)\}/g)),
    ...matches(read('scripts/render-pbx-config.mjs'), /(?:value|expandIds)\('([A-Z0-9_]+)'\)/g),
    ...matches(read('scripts/render-pbx-config.mjs'), /^ {2}(HOTLINE_[A-Z0-9_]+):/gm),
    ...matches(read('scripts/container-pbx.sh'), /\$\{(HOTLINE_[A-Z0-9_]+)/g)
  ]),
  // https://hub.docker.com/_/postgres: the image's initialisation variables, and our init script's.
  postgres: new Set(['POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_INITDB_ARGS', 'POSTGRES_HOST_AUTH_METHOD', 'PGDATA',
    ...matches(read('scripts/container-pg-init.sh'), /\$\{(HOTLINE_[A-Z0-9_]+)/g)]),
  // redis-server reads no environment: only what its command line passes on ($$VAR in compose).
  redis: new Set(matches(JSON.stringify(compose.services.redis?.command ?? ''), /\$\$([A-Z][A-Z0-9_]+)/g))
}

t.test('docker-compose.yml parses and has the four services', async (t) => {
  t.same(Object.keys(compose.services).sort(), ['asterisk', 'hotline', 'postgres', 'redis'])
})

t.test('every variable given to a service is read by that service', async (t) => {
  for (const [name, service] of Object.entries(compose.services)) {
    const unknown = Object.keys(service.environment ?? {}).filter((k) => !readsBy[name]!.has(k))
    t.same(unknown, [], `${name}: no variable that nothing reads`)
  }
  t.ok(readsBy.asterisk!.has('HOTLINE_SIP_BIND'), 'the renderer reads HOTLINE_SIP_BIND (a sanity check of the scan)')
})

t.test('every value taken from .env is named in the header', async (t) => {
  const header = text.split('\nservices:')[0]!
  const fromEnv = new Set(matches(text.replace(/^#.*$/gm, ''), /\$\{([A-Z0-9_]+)/g))
  for (const v of fromEnv) t.match(header, v, `${v} is documented at the top`)
})

t.test('what the services mount and run exists', async (t) => {
  t.ok(existsSync(path.join(REPO, 'scripts/container-pbx.sh')), 'the Asterisk entry script')
  t.ok(existsSync(path.join(REPO, 'dialplans/prompts/zh.tsv')), 'the prompt list it renders')
  t.match(compose.services.asterisk!.command, ['bash', '/hotline/scripts/container-pbx.sh'])
  t.match(String(compose.services.hotline!.command), /bin\/hotline\.js serve/, 'the server runs through bin/hotline.js')
  const pgInit = compose.services.postgres!.volumes!.find((v) => v.includes('docker-entrypoint-initdb.d'))
  t.ok(pgInit && existsSync(path.join(REPO, pgInit.split(':')[0]!)), 'the PostgreSQL init script it mounts')
})

t.test('least privilege: passwords from .env, no trust, the server as the application role', async (t) => {
  const pg = compose.services.postgres!.environment!
  t.equal(pg.POSTGRES_HOST_AUTH_METHOD, 'scram-sha-256', 'PostgreSQL: password auth for connections')
  t.match(pg.POSTGRES_INITDB_ARGS, /--auth-local=scram-sha-256/, 'and on its own socket')
  t.notMatch(text.replace(/#.*$/gm, ''), /\btrust\b/, 'no trust anywhere')
  t.match(read('scripts/container-pg-init.sh'), /create role hotline_app login nosuperuser/, 'the init script makes the application role')
  const app = compose.services.hotline!.environment!
  t.match(app.DATABASE_URL, /^postgres:\/\/hotline_app:\$\{HOTLINE_PG_APP_PASSWORD:\?/, 'the server connects as hotline_app, its password from .env')
  t.match(app.HOTLINE_MIGRATE_DATABASE_URL, /^postgres:\/\/hotline:\$\{POSTGRES_PASSWORD:\?/, 'migrations as the owner')
  t.match(String(compose.services.hotline!.command), /hotline\.js migrate && exec env -u HOTLINE_MIGRATE_DATABASE_URL node bin\/hotline\.js serve/, 'the serving process is started without the owner\'s URL')
  t.match(app.REDIS_URL, /^redis:\/\/:\$\{HOTLINE_REDIS_PASSWORD:\?[^}]*\}@/, 'the server gives Redis its password')
  t.match(JSON.stringify(compose.services.redis!.command), /requirepass/, 'Redis requires it')
  t.notMatch(JSON.stringify(compose.services.redis!.command), /\$\{HOTLINE_REDIS_PASSWORD/, 'and does not get it on its command line')
  t.match(JSON.stringify(compose.services.redis!.healthcheck), /REDISCLI_AUTH/, 'its health check authenticates')
})
