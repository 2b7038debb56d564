/**
 * The server as its own process (node dist/server/main.js, the build production runs), for tests
 * that kill it with SIGKILL and start it again. Stopped by its own pid at teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Test } from 'tap'
import { builtServer } from './build.ts'
import { REPO, serviceEnv } from './services.ts'
import { firstPasswordChanged } from './hotline.ts'

export interface ServerProcess { child: ChildProcess; url: string; log: () => string; kill(signal?: NodeJS.Signals): Promise<void> }

export async function spawnServer(t: Test, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', builtServer()], {
    cwd: REPO,
    env: { ...process.env, ...serviceEnv(), LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout!.on('data', (d) => { out = (out + d).slice(-200_000) })
  child.stderr!.on('data', (d) => { out = (out + d).slice(-200_000) })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  t.teardown(() => kill('SIGKILL'))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${out.slice(-3000)}`)), 20_000)
    const onData = () => {
      const m = /hotline: listening on (http:\/\/[^\s]+)/.exec(out)
      if (m) { clearTimeout(timer); resolve(m[1]!) }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${out.slice(-3000)}`)) })
  })
  // As tokenFor does for an in-process server: the first administrator made its first change.
  await firstPasswordChanged(env.DATABASE_URL ?? serviceEnv().DATABASE_URL!)
  return { child, url, log: () => out, kill }
}

export async function api<T = unknown>(url: string, method: string, pathname: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url + pathname, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T }
}
