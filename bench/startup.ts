/**
 * `npm run bench:startup`: how long the server takes from the process's start to ready (listening;
 * ARI subscribed; PostgreSQL and Redis answering; migrations checked), as the server itself prints
 * it ("hotline: ready N ms after the process started"), beside the same machine's references in
 * the same run: a bare `node` process that listens on a port, and the server started through tsx
 * (TypeScript compiled at run time, as before the build step).
 *
 *   BENCH_STARTUP_RUNS (7)     starts of each; the figures are median and max
 *
 * Aim: median and max under 1,000 ms for the build (dist/server/main.js).
 */
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import path from 'node:path'
import { builtServer } from '../test/helpers/build.ts'
import { ADMIN_PASSWORD, resetWorld } from '../test/helpers/hotline.ts'
import { REPO, serviceEnv, testConfig } from '../test/helpers/services.ts'

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 7)

interface Start { wallMs: number; ownMs: number; phases: Record<string, number> }

/** Spawns `args`, waits for `ready` in its output; wall = spawn → line seen, own = the number it printed. */
function once(args: string[], ready: RegExp, env: NodeJS.ProcessEnv): Promise<Start> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no ready line in 30 s:\n${out.slice(-2000)}`)) }, 30_000)
    const onData = (d: Buffer) => {
      out += d
      const m = ready.exec(out)
      if (!m) return
      const wallMs = performance.now() - t0
      clearTimeout(timer)
      // "…; loaded 1608, migrated 1796, built 2167, listening 3573, started 4418, ari 4599, ARI …": ms since the start
      const phases = Object.fromEntries([...out.slice(m.index).split('\n')[0]!.matchAll(/([a-z]+) (\d+)(?=,)/g)].map((p) => [p[1]!, Number(p[2])]))
      child.once('exit', () => resolve({ wallMs, ownMs: Number(m[1]), phases }))
      child.kill('SIGTERM')
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => { clearTimeout(timer); if (!ready.test(out)) reject(new Error(`exited with ${code} before ready:\n${out.slice(-2000)}`)) })
  })
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (s: Start[], key: 'wallMs' | 'ownMs') => `median ${med(s.map((x) => x[key])).toFixed(0)} ms, max ${Math.max(...s.map((x) => x[key])).toFixed(0)} ms`

async function main(): Promise<void> {
  await resetWorld(testConfig())
  const env = { ...process.env, ...serviceEnv(), LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD }
  const entry = builtServer()
  const READY = /hotline: ready (\d+) ms after the process started/
  const bare = "require('node:http').createServer().listen(0, '127.0.0.1', () => { console.log('ready ' + Math.round(performance.now())) })"
  const load0 = loadavg()[0]!
  const built: Start[] = []
  const tsx: Start[] = []
  const node: Start[] = []
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so a burst of other work on the host weighs on all three alike.
    node.push(await once(['-e', bare], /ready (\d+)/, env))
    built.push(await once(['--enable-source-maps', entry], READY, env))
    tsx.push(await once(['--import', 'tsx', path.join(REPO, 'src/main.ts')], READY, env))
  }
  const pass = med(built.map((s) => s.ownMs)) < 1000 && Math.max(...built.map((s) => s.ownMs)) < 1000
  console.log(`bench:startup — ${RUNS} starts each, interleaved`)
  console.log(`  built server (dist/server/main.js)   own ${fmt(built, 'ownMs')}; spawn → ready line ${fmt(built, 'wallMs')}   (aim: < 1000 ms)`)
  console.log(`  same server through tsx (src/main.ts) own ${fmt(tsx, 'ownMs')}; spawn → ready line ${fmt(tsx, 'wallMs')}`)
  console.log(`  bare node listening on a port        own ${fmt(node, 'ownMs')}; spawn → ready line ${fmt(node, 'wallMs')}`)
  const phaseNames = Object.keys(built[0]!.phases)
  if (phaseNames.length) {
    console.log(`  built server, median ms since the process started: ${phaseNames.map((k) => `${k} ${med(built.map((b) => b.phases[k] ?? NaN)).toFixed(0)}`).join(', ')}, ready ${med(built.map((b) => b.ownMs)).toFixed(0)}`)
  }
  console.log(`  machine load average                 ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`)
  console.log(pass ? '  PASS' : '  FAIL')
  process.exitCode = pass ? 0 : 1
}

main().catch((err) => { console.error(err); process.exit(1) })
