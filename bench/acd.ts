/**
 * `npm run bench:acd`: our ACD against Asterisk's own app_queue, on the same Asterisk, with the
 * same SIPp desk phones as agents and the same SIPp carrier offering the same calls.
 *
 *   1. free agent:   caller answered (200 OK at the carrier) → INVITE at an idle agent's phone
 *   2. agent frees:  agent's phone sends BYE (call over, no wrap-up) → INVITE of the next waiting caller
 *   3. load steps:   the highest offered load (calls/s) with no failed call (every caller connected to
 *                    an agent and released by the agent's hangup within MAX_WAIT)
 *
 * app_queue runs as Queue(bench-appqueue) (dialplans/queues.conf: rrmemory, ringinuse=no, wrapuptime=0)
 * behind extension 19999; its members are the same PJSIP seats, added with the CLI for the run.
 * Our side: line 12345 → queue "general" (longest idle, no wrap-up), no greeting on either side.
 * Times come from SIPp's message traces (wall clock of the peers), not from either system.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { createHotline, type Hotline } from '../src/app.ts'
import { seatPassword } from '../src/auth/seat-credentials.ts'
import { ADMIN_PASSWORD, agentCommand, createAgent, resetWorld, tokenFor, waitFor } from '../test/helpers/hotline.ts'
import { REPO, STATE_DIR, testConfig } from '../test/helpers/services.ts'
import { CARRIER_IP, injectionFile, PBX_SIP, registerSeats, renderScenario, startSipp, type SippProcess } from '../test/helpers/sipp.ts'
import { readSipTrace } from './sip-trace.ts'
import { percentileOfSorted as percentile } from '../src/domain/percentile.ts'

const PHONES = [0, 1, 2, 3].map((k) => ({ port: 5101 + k, seats: Array.from({ length: 10 }, (_, i) => String(1001 + k * 10 + i)) }))
const LOAD_STEPS = (process.env.BENCH_ACD_STEPS ?? '5,10,15,20,30,40').split(',').map(Number)
const STEP_SECONDS = Number(process.env.BENCH_ACD_STEP_SECONDS ?? 8)

interface System {
  name: string
  dialled: string
  addAgents(seats: string[]): Promise<void>
  removeAgents(seats: string[]): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pbxCli = (command: string) => execFileSync('bash', [path.join(REPO, 'scripts/services.sh'), 'pbx-cli', command], { encoding: 'utf8', timeout: 20000 })

function appQueue(): System {
  return {
    name: 'app_queue',
    dialled: '19999',
    async addAgents(seats) { for (const s of seats) pbxCli(`queue add member PJSIP/${s} to bench-appqueue`) },
    async removeAgents(seats) { for (const s of seats) pbxCli(`queue remove member PJSIP/${s} from bench-appqueue`) }
  }
}

async function ours(hotline: Hotline): Promise<System> {
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const put = await hotline.app.inject({
    method: 'PUT', url: '/v1/queues/general', headers: { authorization: `Bearer ${admin}` },
    payload: { name: '12345 综合队列', strategy: 'longest-idle', ringTimeoutSeconds: 15, wrapUpSeconds: 0, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null }
  })
  if (put.statusCode !== 200) throw new Error(`queue set-up failed: ${put.body}`)
  const tokens = new Map<string, string>()
  for (const seat of PHONES.flatMap((p) => p.seats)) tokens.set(seat, await createAgent(hotline, admin, `B${seat}`, { seat }))
  return {
    name: 'hotline',
    dialled: '12345',
    async addAgents(seats) {
      for (const s of seats) {
        await agentCommand(hotline, tokens.get(s)!, `B${s}`, 'sign-in', { seat: s })
        await agentCommand(hotline, tokens.get(s)!, `B${s}`, 'ready')
      }
    },
    async removeAgents(seats) {
      for (const s of seats) {
        await waitFor(`B${s} idle`, async () => {
          const res = await hotline.app.inject({ method: 'POST', url: `/v1/agents/B${s}/sign-out`, headers: { authorization: `Bearer ${tokens.get(s)}` } })
          return res.statusCode === 200
        }, 20000, 100)
      }
    }
  }
}

function phone(port: number, vars: { RING_MS: number; TALK_MS: number }, traceDir: string): { proc: SippProcess; trace: string } {
  const file = renderScenario('uas-agent-answers.xml', vars)
  const trace = path.join(traceDir, `phone-${port}.log`)
  const proc = startSipp(['-sf', file, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-m', '100000', '-trace_msg', '-message_file', trace], 600)
  return { proc, trace }
}

interface CarrierResult { successful: number; failed: number; trace: string }

/** Calls the carrier offered, per system name (the ARI requests per call divide by it). */
const offered = new Map<string, number>()

async function carrier(dialled: string, callers: string[], rate: number, maxWaitMs: number, traceDir: string, tag: string): Promise<CarrierResult> {
  const file = renderScenario('bench/sipp/uac-caller-until-agent-bye.xml', { CALLER: '[field0]', MAX_WAIT_MS: maxWaitMs })
  const csv = injectionFile(callers.map((c) => [c]))
  const trace = path.join(traceDir, `carrier-${tag}.log`)
  const system = tag.split('-')[0]!
  offered.set(system, (offered.get(system) ?? 0) + callers.length)
  const run = await startSipp([PBX_SIP, '-sf', file, '-inf', csv, '-s', dialled, '-i', CARRIER_IP, '-p', '5180', '-mi', CARRIER_IP,
    '-m', String(callers.length), '-l', String(callers.length), '-r', String(rate), '-trace_msg', '-message_file', trace], Math.ceil(callers.length / rate) + maxWaitMs / 1000 + 30).done
  const count = (label: string) => Number(new RegExp(`${label}\\s*\\|[^|]*\\|\\s*(\\d+)`).exec(run.stdout)?.[1] ?? NaN)
  return { successful: count('Successful call'), failed: count('Failed call'), trace }
}

function stats(samples: number[]): { n: number; median: number | null; p95: number | null; max: number | null } {
  const s = [...samples].sort((a, b) => a - b)
  return { n: s.length, median: percentile(s, 0.5), p95: percentile(s, 0.95), max: s.length ? s[s.length - 1]! : null }
}

/** 1: callers arriving while agents are idle. */
async function freeAgentLatency(sys: System, traceDir: string, prefix: string) {
  const { seats, port } = PHONES[0]!
  const p = phone(port, { RING_MS: 50, TALK_MS: 800 }, traceDir)
  await sys.addAgents(seats)
  const callers = Array.from({ length: 30 }, (_, i) => `${prefix}1${String(i).padStart(4, '0')}`)
  const c = await carrier(sys.dialled, callers, 2, 20000, traceDir, `${sys.name}-free`)
  await sleep(1500)
  await sys.removeAgents(seats)
  p.proc.stop(); await p.proc.done
  const answered = new Map<string, number>()
  for (const m of readSipTrace(c.trace)) if (m.direction === 'received' && m.status === 200 && m.cseqMethod === 'INVITE' && !answered.has(m.fromNumber)) answered.set(m.fromNumber, m.at)
  const invited = new Map<string, number>()
  for (const m of readSipTrace(p.trace)) if (m.direction === 'received' && m.method === 'INVITE' && !invited.has(m.fromNumber)) invited.set(m.fromNumber, m.at)
  const lat = callers.flatMap((n) => (answered.has(n) && invited.has(n) ? [invited.get(n)! - answered.get(n)!] : []))
  return { ...stats(lat), failed: c.failed }
}

/** 2: one agent, callers waiting; from the agent's BYE to the next caller's INVITE. */
async function agentFreedLatency(sys: System, traceDir: string, prefix: string) {
  const { port } = PHONES[1]!
  const seat = PHONES[1]!.seats[0]!
  const p = phone(port, { RING_MS: 50, TALK_MS: 1200 }, traceDir)
  await sys.addAgents([seat])
  const callers = Array.from({ length: 12 }, (_, i) => `${prefix}2${String(i).padStart(4, '0')}`)
  const c = await carrier(sys.dialled, callers, 20, 60000, traceDir, `${sys.name}-freed`)
  await sleep(1000)
  await sys.removeAgents([seat])
  p.proc.stop(); await p.proc.done
  const msgs = readSipTrace(p.trace).sort((a, b) => a.at - b.at)
  const lat: number[] = []
  for (const bye of msgs.filter((m) => m.direction === 'sent' && m.method === 'BYE')) {
    const next = msgs.find((m) => m.direction === 'received' && m.method === 'INVITE' && m.at > bye.at)
    if (next) lat.push(next.at - bye.at)
  }
  return { ...stats(lat), failed: c.failed }
}

/** 3: increasing offered load on 40 agents until a step has a failed call. */
async function loadSteps(sys: System, traceDir: string, prefix: string) {
  const seats = PHONES.flatMap((p) => p.seats)
  const steps: { rate: number; calls: number; successful: number; failed: number }[] = []
  for (const [k, rate] of LOAD_STEPS.entries()) {
    const phones = PHONES.map((p) => phone(p.port, { RING_MS: 50, TALK_MS: 500 }, traceDir))
    await sys.addAgents(seats)
    const n = rate * STEP_SECONDS
    const callers = Array.from({ length: n }, (_, i) => `${prefix}3${k}${String(i).padStart(4, '0')}`)
    const c = await carrier(sys.dialled, callers, rate, 15000, traceDir, `${sys.name}-load-${rate}`)
    await sleep(1500)
    await sys.removeAgents(seats)
    for (const p of phones) { p.proc.stop(); await p.proc.done }
    steps.push({ rate, calls: n, successful: c.successful, failed: c.failed })
    process.stderr.write(`  ${sys.name} at ${rate}/s: ${c.successful}/${n} connected, ${c.failed} failed\n`)
    if (c.failed > 0 || c.successful !== n) break
    await sleep(2000)
  }
  const sustained = steps.filter((s) => s.failed === 0 && s.successful === s.calls).map((s) => s.rate)
  return { steps, highest: sustained.length ? Math.max(...sustained) : 0 }
}

function pbxCpuTicks(): number {
  const pid = readFileSync(path.join(STATE_DIR, 'asterisk.pid'), 'utf8').trim()
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(f[11]) + Number(f[12])
}

async function main() {
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD, HOTLINE_GREETING: 'none', LOG_LEVEL: 'error' })
  await resetWorld(config)
  const hotline = await createHotline(config, { logger: { level: 'error' } })
  await hotline.start()
  const traceDir = mkdtempSync(path.join(tmpdir(), 'hotline-bench-acd-'))
  try {
    for (const p of PHONES) await registerSeats(p.seats.map((seat) => ({ seat, password: seatPassword(config.HOTLINE_SEAT_SECRET, seat) })), p.port, 3600)
    const systems = [await ours(hotline), appQueue()]
    const results: Record<string, { free: Awaited<ReturnType<typeof freeAgentLatency>>; freed: Awaited<ReturnType<typeof agentFreedLatency>>; load: Awaited<ReturnType<typeof loadSteps>>; pbxCpuS: number; ari: Map<string, number> }> = {}
    const ariNow = () => new Map(hotline.ari.rest.requestCounts)
    for (const [i, sys] of systems.entries()) {
      process.stderr.write(`${sys.name}: free-agent latency…\n`)
      const cpu0 = pbxCpuTicks()
      const ari0 = ariNow()
      const free = await freeAgentLatency(sys, traceDir, `15${i}`)
      process.stderr.write(`${sys.name}: agent-freed latency…\n`)
      const freed = await agentFreedLatency(sys, traceDir, `15${i}`)
      process.stderr.write(`${sys.name}: load steps ${LOAD_STEPS.join(', ')} calls/s…\n`)
      const load = await loadSteps(sys, traceDir, `16${i}`)
      // This server's ARI requests over the system's run (hotline_ari_requests_total on /metrics); app_queue's calls send none.
      const ari = new Map([...ariNow()].map(([route, n]) => [route, n - (ari0.get(route) ?? 0)] as [string, number]).filter(([, n]) => n > 0))
      results[sys.name] = { free, freed, load, pbxCpuS: (pbxCpuTicks() - cpu0) / 100, ari }
    }
    const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ms`)
    const row = (label: string, f: (r: (typeof results)[string]) => string) => `| ${label} | ${systems.map((s) => f(results[s.name]!)).join(' | ')} |`
    console.log(`\nACD benchmark (${new Date().toISOString()}), same Asterisk, same SIPp agents and carrier; traces in ${traceDir}\n`)
    console.log(`| measure | ${systems.map((s) => s.name).join(' | ')} |`)
    console.log(`| --- | ${systems.map(() => '---').join(' | ')} |`)
    console.log(row('caller answered → idle agent INVITEd, median', (r) => ms(r.free.median)))
    console.log(row('  p95', (r) => ms(r.free.p95)))
    console.log(row('  max', (r) => ms(r.free.max)))
    console.log(row('  samples / failed calls', (r) => `${r.free.n} / ${r.free.failed}`))
    console.log(row('agent free (BYE) → next caller INVITEd, median', (r) => ms(r.freed.median)))
    console.log(row('  p95', (r) => ms(r.freed.p95)))
    console.log(row('  max', (r) => ms(r.freed.max)))
    console.log(row('  samples / failed calls', (r) => `${r.freed.n} / ${r.freed.failed}`))
    console.log(row('highest offered load with no failed call (40 agents)', (r) => `${r.load.highest} calls/s`))
    console.log(row('  steps (connected/offered)', (r) => r.load.steps.map((s) => `${s.rate}/s:${s.successful}/${s.calls}`).join(' ')))
    console.log(row('Asterisk CPU over the run', (r) => `${r.pbxCpuS.toFixed(1)} s`))
    const perCall = (name: string) => (offered.get(name) ? ([...results[name]!.ari.values()].reduce((a, b) => a + b, 0) / offered.get(name)!) : 0)
    console.log(row('  per offered call', (r) => `${((r.pbxCpuS * 1000) / Math.max(1, offered.get(systems.find((s) => results[s.name] === r)!.name) ?? 1)).toFixed(1)} CPU-ms`))
    console.log(row('ARI requests per offered call (this server)', (r) => { const name = systems.find((s) => results[s.name] === r)!.name; return name === 'hotline' ? perCall(name).toFixed(1) : '— (dialplan)' }))
    const hot = results.hotline
    if (hot) {
      const calls = Math.max(1, offered.get('hotline') ?? 1)
      console.log(`\nARI requests per offered call by route (${offered.get('hotline')} calls): ${[...hot.ari].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${(n / calls).toFixed(2)}`).join(', ')}`)
    }
    console.log(`machine load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  } finally {
    await hotline.close()
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
