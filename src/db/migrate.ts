/**
 * Forward-only migrations from plain SQL files in migrations/ (NNN_name.sql). All pending files
 * run in one transaction under an advisory lock, so two servers starting at once cannot apply
 * the same file twice, and a failure leaves the schema as it was. An applied file that was
 * edited afterwards is an error: the database would no longer match the repository.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Sql } from './sql.ts'

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations')

/** Arbitrary constant naming our advisory lock ("hotline" in ASCII). */
const LOCK_KEY = BigInt('0x686f746c696e65').toString() // a bigint literal as text: beyond 2^53

export interface MigrationFile { version: number; name: string; file: string; checksum: string; text: string }

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MigrationError'
  }
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  const out: MigrationFile[] = []
  for (const file of files) {
    const m = /^(\d+)_([a-z0-9_-]+)\.sql$/.exec(file)
    if (!m) throw new MigrationError(`migration file name ${file} is not NNN_name.sql`)
    const text = await readFile(path.join(dir, file), 'utf8')
    out.push({ version: Number(m[1]), name: m[2]!, file, text, checksum: createHash('sha256').update(text).digest('hex') })
  }
  // Numbers only go up; a gap is allowed, so work numbered apart in parallel lands in any order.
  out.forEach((mig, i) => {
    const before = out[i - 1]
    if (before && mig.version <= before.version) throw new MigrationError(`migrations must have increasing numbers; ${mig.file} repeats or precedes ${before.file}`)
  })
  return out
}

type Applied = { version: number; name: string; checksum: string }

function checkApplied(done: Applied[], migrations: MigrationFile[], dir: string): void {
  for (const row of done) {
    const file = migrations.find((m) => m.version === row.version)
    if (!file) throw new MigrationError(`database has migration ${row.version} (${row.name}) that is not in ${dir}: is this an older release?`)
    if (file.checksum !== row.checksum) throw new MigrationError(`migration ${file.file} was changed after it was applied (checksum differs); add a new migration instead`)
  }
}

export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  const migrations = await readMigrations(dir)
  const applied: string[] = []
  // Nothing pending: done without any DDL or lock, so the application's own role (no CREATE,
  // read-only on schema_migrations) can start a server whose schema its owner already migrated.
  const [known] = await sql<{ present: boolean }[]>`select to_regclass('schema_migrations') is not null as present`
  if (known?.present) {
    const done = await sql<Applied[]>`select version, name, checksum from schema_migrations order by version`
    checkApplied(done, migrations, dir)
    if (migrations.every((m) => done.some((d) => d.version === m.version))) return { applied }
  }
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY}::bigint)`
    await tx`create table if not exists schema_migrations (
      version integer primary key, name text not null, checksum text not null, applied_at timestamptz not null default now())`
    const done = await tx<Applied[]>`select version, name, checksum from schema_migrations order by version`
    checkApplied(done, migrations, dir)
    for (const mig of migrations.filter((m) => !done.some((d) => d.version === m.version))) {
      try {
        await tx.unsafe(mig.text)
      } catch (cause) {
        throw new MigrationError(`migration ${mig.file} failed: ${(cause as Error).message}`, { cause })
      }
      await tx`insert into schema_migrations (version, name, checksum) values (${mig.version}, ${mig.name}, ${mig.checksum})`
      applied.push(mig.file)
    }
  })
  return { applied }
}
