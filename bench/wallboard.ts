/**
 * `npm run bench:wallboard`: 1,000 supervisor wallboards connected over Socket.IO while calls
 * flow through the real Asterisk at 20 calls/s (SIPp carrier → 12345 → 40 SIPp desk phones).
 * Prints the lag from a change (the first event a push carries, stamped by the server) to its
 * delivery at each socket (median, p99, max), the sockets dropped, and the server's CPU.
 *
 * The server runs as its own process (node dist/server/main.js, the build), so its CPU is measured alone, from
 * /proc; the 1,000 sockets live in this process. Both sides use the same clock (one machine).
 *
 *   BENCH_WB_SOCKETS (1000), BENCH_WB_RATE (20 calls/s), BENCH_WB_SECONDS (30)
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { io as connect, type Socket } from 'socket.io-client'
import { seatPassword } from '../src/auth/seat-credentials.ts'
import type { WallboardSnapshot, WallboardUpdate } from '../src/supervision/model.ts'
import { ADMIN_PASSWORD, firstPasswordChanged, resetWorld, waitFor } from '../test/helpers/hotline.ts'
import { builtServer } from '../test/helpers/build.ts'
import { REPO, serviceEnv, testConfig } from '../test/helpers/services.ts'
import { probeLines, startProbe } from './probe.ts'
import { CARRIER_IP, injectionFile, PBX_SIP, registerSeats, renderScenario, startSipp, type SippProcess } from '../test/helpers/sipp.ts'

const SOCKETS = Number(process.env.BENCH_WB_SOCKETS ?? 1000)
const RATE = Number(process.env.BENCH_WB_RATE ?? 20)
const SECONDS = Number(process.env.BENCH_WB_SECONDS ?? 30)
const PHONES = [0, 1, 2, 3].map((k) => ({ port: 5101 + k, seats: Array.from({ length: 10 }, (_, i) => String(1001 + k * 10 + i)) }))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN)

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

async function main(): Promise<void> {
  await resetWorld(testConfig())
  const env = { ...process.env, ...serviceEnv(), LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_GREETING: 'none',
    // 41 people log in from one loopback address within a second: the per-address login limit is for attackers, not for this set-up.
    HOTLINE_LOGIN_RATE_PER_MIN: '100000' }
  const server = spawn(process.execPath, ['--enable-source-maps', builtServer()], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  server.stdout!.on('data', (d) => { out = (out + d).slice(-20000) })
  server.stderr!.on('data', (d) => { out = (out + d).slice(-20000) })
  const phones: SippProcess[] = []
  const sockets: Socket[] = []
  const cleanup = () => {
    for (const s of sockets) s.close()
    for (const p of phones) p.stop()
    if (server.exitCode === null) server.kill('SIGTERM')
  }
  process.on('exit', cleanup)
  try {
    const url = await waitFor('the server to listen', async () => /hotline: listening on (http:\/\/\S+)/.exec(out)?.[1], 30000, 100)
    await waitFor('the server to be ready', async () => (await fetch(`${url}/ready`)).status === 200, 30000, 200)
    const api = async (method: string, p: string, token?: string, body?: unknown) => {
      const res = await fetch(url + p, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })
      const json = await res.json().catch(() => null) as Record<string, unknown> | null
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`)
      return json
    }
    const login = async (username: string, password: string) => (await api('POST', '/v1/auth/token', undefined, { username, password }))!.token as string
    await firstPasswordChanged(serviceEnv().DATABASE_URL!)
    const admin = await login('admin', ADMIN_PASSWORD)
    await api('PUT', '/v1/queues/general', admin, { name: '12345 综合队列', strategy: 'longest-idle', ringTimeoutSeconds: 15, wrapUpSeconds: 0, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null })
    await api('POST', '/v1/users', admin, { id: 'BENCHSUP', displayName: '压测班长', role: 'supervisor', password: 'Bench-supervisor-1' })
    const sup = await login('BENCHSUP', 'Bench-supervisor-1')

    // 40 agents on four SIPp desk phones, 1.5 s talk: 20 calls/s keep about 30 of them busy.
    const secret = testConfig().HOTLINE_SEAT_SECRET
    for (const p of PHONES) {
      await registerSeats(p.seats.map((seat) => ({ seat, password: seatPassword(secret, seat) })), p.port)
      const file = renderScenario('uas-agent-answers.xml', { RING_MS: 100, TALK_MS: 1500 })
      phones.push(startSipp(['-sf', file, '-i', '127.0.0.1', '-p', String(p.port), '-mi', '127.0.0.1', '-m', '100000'], SECONDS + 120))
      for (const seat of p.seats) {
        await api('POST', '/v1/users', admin, { id: `WB${seat}`, displayName: `坐席${seat}`, role: 'agent', password: `wb-${seat}-password` })
        const token = await login(`WB${seat}`, `wb-${seat}-password`)
        await api('PUT', `/v1/seats/${seat}`, admin, { agentId: `WB${seat}` }) // agents sign in only to a seat assigned to them
        await api('POST', `/v1/agents/WB${seat}/sign-in`, token, { seat })
        await api('POST', `/v1/agents/WB${seat}/ready`, token)
      }
    }

    // The wallboards.
    const lags: number[] = []
    const serverSide: number[] = []
    let bytes = 0
    let dropped = 0
    let snapshots = 0
    let updates = 0
    let measuring = false
    for (let i = 0; i < SOCKETS; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, SOCKETS - i) }, () => new Promise<void>((resolve, reject) => {
        const s = connect(`${url}/supervisor`, { auth: { token: sup, stream: 'wallboard' }, transports: ['websocket'], reconnection: false, timeout: 20000 })
        sockets.push(s)
        s.on('wallboard:update', (u: WallboardUpdate) => {
          updates += 1
          if (!measuring) return
          lags.push(Date.now() - u.changedAt)
          // Sampled on one socket: the server's part (change → pushed) and the message size.
          if (s === sockets[0]) { serverSide.push(u.generatedAt - u.changedAt); bytes += JSON.stringify(u).length }
        })
        s.on('disconnect', (reason) => { if (measuring) { dropped += 1; console.error(`socket dropped: ${reason}`) } })
        s.once('connect', () => {
          s.timeout(20000).emitWithAck('wallboard:snapshot').then((res: { ok: boolean; data: WallboardSnapshot }) => { if (res.ok) snapshots += 1; resolve() }, reject)
        })
        s.once('connect_error', reject)
      })))
    }
    console.log(`${sockets.length} wallboards connected, ${snapshots} snapshots received`)

    const calls = RATE * SECONDS
    const file = renderScenario('bench/sipp/uac-caller-until-agent-bye.xml', { CALLER: '[field0]', MAX_WAIT_MS: 60000 })
    const csv = injectionFile(Array.from({ length: calls }, (_, i) => [`1380${String(i).padStart(7, '0')}`]))
    const load0 = loadavg()[0]!
    const self0 = process.cpuUsage()
    const cpu0 = cpuSeconds(server.pid!)
    const t0 = Date.now()
    const probe = startProbe()
    measuring = true
    const carrier = startSipp([PBX_SIP, '-sf', file, '-inf', csv, '-s', '12345', '-i', CARRIER_IP, '-p', '5180', '-mi', CARRIER_IP,
      '-m', String(calls), '-l', String(calls), '-r', String(RATE)], SECONDS + 90)
    const run = await carrier.done
    const carried = await probe.stop()
    const wall = (Date.now() - t0) / 1000
    const cpu = cpuSeconds(server.pid!) - cpu0
    const self = process.cpuUsage(self0)
    await sleep(1500)
    measuring = false
    const count = (label: string) => Number(new RegExp(`${label}\\s*\\|[^|]*\\|\\s*(\\d+)`).exec(run.stdout)?.[1] ?? NaN)

    const board = await api('GET', '/v1/wallboard', sup) as unknown as WallboardSnapshot
    const line = board.lines.find((l) => l.key === '12345')
    const sorted = [...lags].sort((a, b) => a - b)
    const still = sockets.filter((s) => s.connected).length
    console.log('')
    console.log(`wallboard bench: ${SOCKETS} sockets, ${RATE} calls/s for ${SECONDS} s (${calls} calls: ${count('Successful call')} completed, ${count('Failed call')} failed)`)
    console.log(`  pushes delivered       ${lags.length} (${(updates / Math.max(1, SOCKETS)).toFixed(0)} per socket, ${(lags.length / Math.max(1, SOCKETS) / wall).toFixed(1)}/s per socket)`)
    console.log(`  change → delivery lag  median ${pct(sorted, 0.5)} ms, p99 ${pct(sorted, 0.99)} ms, max ${sorted.at(-1)} ms   (aim: p99 < 1000 ms)`)
    const ss = [...serverSide].sort((a, b) => a - b)
    console.log(`  of which in the server median ${pct(ss, 0.5)} ms, p99 ${pct(ss, 0.99)} ms (change → push computed); mean push ${(bytes / Math.max(1, ss.length) / 1024).toFixed(1)} KB`)
    console.log(`  sockets dropped        ${dropped} (connected at the end: ${still}/${SOCKETS})`)
    console.log(`  server CPU             ${((cpu / wall) * 100).toFixed(0)}% of one core over ${wall.toFixed(1)} s (${cpu.toFixed(1)} CPU-s)`)
    console.log(`  this client's CPU      ${(((self.user + self.system) / 1e6 / wall) * 100).toFixed(0)}% of one core (the ${SOCKETS} sockets)`)
    const warnings = out.split('\n').filter((l) => /"level":(40|50)/.test(l))
    if (warnings.length) console.log(`  server warnings/errors ${warnings.length}, last: ${warnings.at(-1)!.slice(0, 400)}`)
    console.log(`  machine load average   ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (other work on this host competes for its cores)`)
    // Which part was the limit: the server (its CPU above), Asterisk, the disk, or the machine as a whole (these 1,000 clients included).
    for (const l of probeLines(carried)) console.log(l)
    console.log(`  push window            ${process.env.HOTLINE_WALLBOARD_PUSH_MS ?? 250} ms (HOTLINE_WALLBOARD_PUSH_MS)`)
    console.log(`  board at the end       offered ${line?.offered}, answered ${line?.answered}, abandoned ${line?.abandoned}, 15 s answer rate ${line?.serviceLevel15}`)
    const pass = sorted.length > 0 && pct(sorted, 0.99) < 1000 && dropped === 0 && still === SOCKETS
    console.log(pass ? '  PASS' : '  FAIL')
    process.exitCode = pass ? 0 : 1
  } finally {
    cleanup()
    await sleep(500)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
