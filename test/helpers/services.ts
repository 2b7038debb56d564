/**
 * The real services a test talks to: PostgreSQL, Redis and Asterisk started by
 * scripts/services.sh (npm test starts them). A test never fakes them; when they are missing
 * it fails loudly with what to run.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, type Config } from '../../src/config.ts'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const STATE_DIR = process.env.HOTLINE_STATE_DIR ?? path.join(REPO, '.hotline')
export const ARTIFACTS = path.join(REPO, 'test-artifacts')

/** Environment of the running local services (services.env), overridden by the process env. */
export function serviceEnv(): Record<string, string> {
  const file = path.join(STATE_DIR, 'services.env')
  if (!existsSync(file)) {
    throw new Error(`test services are not running: ${file} is missing. Run the tests with 'npm test' (it starts PostgreSQL, Redis and Asterisk), or 'bash scripts/services.sh start' first.`)
  }
  const env: Record<string, string> = {}
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m) env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '')
  }
  // The outbound dialer and callbacks stay off unless a test turns them on: a follow-up task
  // left by another test file must not ring a SIPp peer that is not expecting it.
  // Test files log in dozens of users from one address (inject's 127.0.0.1) within a minute;
  // the brute-force test sets its own low limit.
  const quiet = { HOTLINE_DIALER_TICK_MS: '0', HOTLINE_CALLBACK_OFFER_AFTER_S: '0', HOTLINE_CALLBACK_ABANDON_AFTER_S: '0', HOTLINE_LOGIN_RATE_PER_MIN: '100000' }
  return { ...quiet, ...env, ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(HOTLINE_|DATABASE_URL|REDIS_URL)/.test(k)) as [string, string][]) }
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: process.env.HOTLINE_TEST_LOG_LEVEL ?? 'warn', PORT: '0', ...serviceEnv(), ...overrides })
}
