/**
 * The built server (dist/server, scripts/build.mjs) for tests and benches that run it as its own
 * process, as production does. `npm test` builds before the tests; a file run on its own (npx tap
 * …) builds here when a source is newer than the build, once per test process.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { REPO } from './services.ts'

export const SERVER_ENTRY = path.join(REPO, 'dist/server/main.js')

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs)
  }
  return newest
}

let checked = false
/** Builds dist/server when it is missing or older than src/ (about 0.3 s); returns the entry. */
export function builtServer(): string {
  if (checked) return SERVER_ENTRY
  let builtAt = 0
  try { builtAt = statSync(SERVER_ENTRY).mtimeMs } catch { /* not built yet */ }
  if (builtAt < newestSource(path.join(REPO, 'src'))) {
    execFileSync(process.execPath, [path.join(REPO, 'scripts/build.mjs')], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] })
  }
  checked = true
  return SERVER_ENTRY
}
