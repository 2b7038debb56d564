/**
 * Audio in the browser on one machine, out of the box (issue 14 item 1), outside the test network
 * namespace: the machine's own network namespace, as a newcomer's is. `npm start` with a state
 * folder, port and PBX root of its own starts PostgreSQL, Redis and its own Asterisk on the host's
 * loopback exactly as a newcomer's does; the README's "First call in five minutes" is followed as
 * written (step 2's block, the panel in a plain headless Chromium: fake microphone, but none of the
 * WebRTC flags the namespace tests need, step 4's SIPp block); the call pops, is answered, and audio
 * flows both ways: the browser's inbound-rtp bytesReceived grows, Asterisk's RTP statistics of the
 * seat's channel count packets received from the browser, and the panel shows 语音已连通. The
 * selected ICE pair's address is the machine's own (the kernel routes it over loopback).
 *
 * Under npm test this file runs inside scripts/pbx-netns.sh's namespace: everything that must be on
 * the host (npm start, Chromium, SIPp, curl, ip) is started through `nsenter --net=$HOTLINE_HOST_NETNS`
 * (the machine's namespace, kept open by pbx-netns.sh). Its
 * Asterisk needs a PBX root that no other Asterisk uses (the suite's runs from HOTLINE_PBX_ROOT), so
 * the test makes a hard-linked copy (its changing folders copied for real) and removes it after.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, cpSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { chromium, type Page } from 'playwright-core'
import { CHROMIUM } from '../../helpers/browser.ts'
import { waitFor } from '../../helpers/hotline.ts'
import { ARTIFACTS, REPO } from '../../helpers/services.ts'

const PORT = 3903
const SEAT = '8001'
/** The machine's own network namespace, handed down by scripts/pbx-netns.sh when this runs inside its namespace. */
const hostNetns = process.env.HOTLINE_HOST_NETNS
const elsewhere = !!hostNetns && readlinkSync('/proc/self/ns/net') !== readlinkSync(hostNetns)
const HOST = elsewhere ? ['nsenter', `--net=${hostNetns}`, '--'] : []
const onHost = (cmd: string, args: string[]) => (HOST.length ? [HOST[0]!, [...HOST.slice(1), cmd, ...args]] : [cmd, args]) as [string, string[]]

function hostSync(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  const [c, a] = onHost(cmd, args)
  return spawnSync(c, a, { cwd: REPO, encoding: 'utf8', timeout: opts.timeout ?? 30_000, env: opts.env ?? process.env })
}

function hostSpawn(cmd: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const [c, a] = onHost(cmd, args)
  const child = spawn(c, a, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

/** A PBX root of this test's own: hard links for the read-only system, copies of what Asterisk and the set-up write. */
function clonePbxRoot(t: Test, source: string): string {
  const clone = `${source.replace(/\/+$/, '')}-one-machine-${process.pid}`
  rmSync(clone, { recursive: true, force: true })
  const cp = spawnSync('cp', ['-al', source, clone], { encoding: 'utf8' })
  if (cp.status !== 0) throw new Error(`could not copy the PBX root ${source}: ${cp.stderr}`)
  t.teardown(() => rmSync(clone, { recursive: true, force: true }))
  for (const dir of ['etc', 'run', 'var/lib/asterisk', 'var/log', 'var/spool/asterisk', 'var/cache/asterisk']) {
    rmSync(path.join(clone, dir), { recursive: true, force: true })
    cpSync(path.join(source, dir), path.join(clone, dir), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true })
  }
  // Not the running Asterisk's pid file and control socket (the suite's, when the source root is in use).
  for (const f of ['asterisk.pid', 'asterisk.ctl']) rmSync(path.join(clone, 'run/asterisk', f), { force: true })
  return clone
}

/** The panel's browser, on the host: no --allow-loopback-in-peer-connection, no namespace tricks. */
async function plainChromium(t: Test): Promise<Page> {
  const profile = mkdtempSync(path.join(tmpdir(), 'hotline-chromium-'))
  const wrapper = path.join(profile, 'chromium-on-host.sh')
  writeFileSync(wrapper, `#!/bin/sh\nexec ${HOST.join(' ')} ${CHROMIUM} "$@"\n`)
  chmodSync(wrapper, 0o755)
  const ctx = await chromium.launchPersistentContext(path.join(profile, 'p'), {
    executablePath: wrapper, headless: true, timeout: 30000, viewport: { width: 1360, height: 860 }, locale: 'zh-CN',
    // As the other page tests, minus --allow-loopback-in-peer-connection and --disable-quic: only a
    // fake microphone (a headless browser has none) and its permission prompt answered.
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']
  })
  t.teardown(async () => { await ctx.close().catch(() => {}); rmSync(profile, { recursive: true, force: true }) })
  return ctx.pages()[0] ?? (await ctx.newPage())
}

interface Stats { ice: string; dtls?: string; rxBytes: number; rxPackets: number; rxEnergy: number; txBytes: number; txPackets: number; pairPort?: number; offered: string[] }

t.test('npm start on one machine: a browser outside the test namespace gets the caller\'s audio and the caller gets the browser\'s', async (t) => {
  const hostAddrs = hostSync('ip', ['-o', '-4', 'addr', 'show', 'scope', 'global']).stdout
  if (!/inet \d/.test(hostAddrs)) throw new Error('the machine has no non-loopback IPv4 address: WebRTC on one machine needs one (README, "Audio on one machine")')
  const busy = hostSync('ss', ['-Hltun', '( sport = :8088 or sport = :5060 )']).stdout.trim()
  if (busy) throw new Error(`Asterisk's ports 8088/5060 are taken on this machine (an npm start running?): ${busy}`)

  const stateDir = mkdtempSync(path.join(tmpdir(), 'hotline-one-machine-'))
  chmodSync(stateDir, 0o755) // PostgreSQL runs as its own OS user and keeps its cluster in here
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }))
  const root = clonePbxRoot(t, process.env.HOTLINE_PBX_ROOT ?? '/opt/hotline-pbx')
  // A clean environment, as a new shell has: none of the suite's HOTLINE_* or service URLs.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HOTLINE_|DATABASE_URL|REDIS_URL|LOG_LEVEL|PORT|HOST)/.test(k)))
  const env: NodeJS.ProcessEnv = { ...base, HOTLINE_STATE_DIR: stateDir, HOTLINE_PBX_ROOT: root, PORT: String(PORT), HOTLINE_PG_PORT: '55453', HOTLINE_REDIS_PORT: '56453' }

  // Step 1: npm start, its own Asterisk included.
  const run = hostSpawn('npm', ['start'], env)
  t.teardown(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGINT')
      await Promise.race([run.exited, new Promise((r) => setTimeout(r, 30_000))])
    }
    hostSync('bash', ['scripts/stop.sh'], { env })
  })
  await waitFor('npm start to listen', async () => run.child.exitCode !== null || /hotline: listening on /.test(run.output()), 120_000, 200)
  if (run.child.exitCode !== null) throw new Error(`npm start ended (exit ${run.child.exitCode}):\n${run.output()}`)
  t.match(run.output(), /asterisk: running/, 'npm start started its own Asterisk')

  // Step 2, the README's block as written.
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## First call in five minutes'), readme.indexOf('## What runs where'))
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!)
  const step2 = hostSync('bash', ['-euo', 'pipefail', '-c', blocks[0]!], { env })
  t.equal(step2.status, 0, `step 2 runs (${step2.stderr.trim().slice(0, 300)})`)

  // Step 3: the panel, as the README says.
  const page = await plainChromium(t)
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  await page.goto(`http://127.0.0.1:${PORT}/`)
  await page.fill('#login-user', 'A001')
  await page.fill('#login-pass', 'first-call-123')
  await page.click('#login-form button[type=submit]')
  await page.waitForSelector('#seat-view:not(.hidden)', { timeout: 15000 })
  await page.selectOption('#seat-input', SEAT)
  await page.click('#seat-form button[type=submit]')
  await page.waitForSelector('#ind-sip.on', { timeout: 15000 })
  await page.click('#btn-ready')
  await page.waitForSelector('#agent-state.state-ready', { timeout: 5000 })
  t.pass('A001 signed in to seat 8001 and is ready')

  // Step 4: the SIPp block as written; the call pops and is answered in the panel.
  const sipp = hostSpawn('bash', ['-euo', 'pipefail', '-c', blocks[1]!], env)
  t.teardown(() => { if (sipp.child.exitCode === null) sipp.child.kill('SIGTERM') })
  // The line's greeting plays first (a few seconds of Mandarin), then the caller is offered.
  await page.waitForSelector('#pop[data-call-id]', { timeout: 45000 }).catch((err: Error) => {
    throw new Error(`${err.message}\nSIPp: ${sipp.output().slice(-1500)}\nnpm start: ${run.output().slice(-1500)}`)
  })
  t.equal(await page.textContent('#pop-caller'), '13800138000', 'the call pops with the caller')
  await page.waitForSelector('#btn-answer:not([disabled])', { timeout: 10000 })
  await page.click('#btn-answer')

  const stats = () => page.evaluate(async () => {
    const pc = (window as unknown as { __panel: { session?: { connection?: RTCPeerConnection } } }).__panel.session?.connection
    if (!pc) return null
    // Asterisk's ICE candidates, from its SDP: "<address> <port>" each.
    const offered = (pc.remoteDescription?.sdp ?? '').split('\r\n').filter((l) => l.startsWith('a=candidate:')).map((l) => l.split(' ').slice(4, 6).join(' '))
    const out: Record<string, unknown> = { ice: pc.iceConnectionState, rxBytes: 0, rxPackets: 0, rxEnergy: 0, txBytes: 0, txPackets: 0, offered }
    const reports = new Map<string, Record<string, unknown>>()
    ;(await pc.getStats()).forEach((r: Record<string, unknown>) => reports.set(r.id as string, r))
    for (const r of reports.values()) {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') Object.assign(out, { rxBytes: r.bytesReceived, rxPackets: r.packetsReceived, rxEnergy: r.totalAudioEnergy ?? 0 })
      if (r.type === 'outbound-rtp' && r.kind === 'audio') Object.assign(out, { txBytes: r.bytesSent, txPackets: r.packetsSent })
      if (r.type === 'transport') {
        out.dtls = r.dtlsState
        const pair = reports.get(r.selectedCandidatePairId as string)
        const remote = pair && reports.get(pair.remoteCandidateId as string)
        if (remote) out.pairPort = remote.port
      }
    }
    return out
  }) as Promise<Stats | null>
  await waitFor('ICE and DTLS to connect', async () => { const s = await stats(); return s?.dtls === 'connected' && s.rxBytes > 0 }, 15000, 200)
  const s1 = (await stats())!
  const ari = (p: string) => {
    const secrets = readFileSync(path.join(stateDir, 'secrets.env'), 'utf8')
    const pw = /^HOTLINE_ARI_PASSWORD=(.*)$/m.exec(secrets)![1]!
    const r = hostSync('curl', ['-sf', '-u', `hotline:${pw}`, `http://127.0.0.1:8088/ari/${p}`])
    return JSON.parse(r.stdout || 'null') as unknown
  }
  const seatChannel = () => ((ari('channels') as { id: string; name: string }[]).find((c) => c.name.startsWith(`PJSIP/${SEAT}-`)))
  const channel = seatChannel()
  t.ok(channel, `the seat's channel is up on Asterisk (${channel?.name})`)
  const rtp1 = ari(`channels/${channel!.id}/rtp_statistics`) as { rxcount: number; txcount: number }
  await new Promise((r) => setTimeout(r, 3000))
  const s2 = (await stats())!
  const rtp2 = ari(`channels/${channel!.id}/rtp_statistics`) as { rxcount: number; txcount: number }
  t.ok(s2.rxBytes - s1.rxBytes > 1000, `the caller's audio reaches the browser: bytesReceived ${s1.rxBytes} → ${s2.rxBytes} in 3 s (${s2.rxPackets - s1.rxPackets} packets)`)
  t.ok(s2.rxEnergy > s1.rxEnergy, `and it is the caller's speech, not silence (totalAudioEnergy ${s1.rxEnergy.toFixed(4)} → ${s2.rxEnergy.toFixed(4)})`)
  t.ok(s2.txPackets - s1.txPackets > 100, `the browser sends audio: ${s2.txPackets - s1.txPackets} packets in 3 s`)
  t.ok(rtp2.rxcount - rtp1.rxcount > 100, `Asterisk receives the browser's audio on the seat's channel: ${rtp2.rxcount - rtp1.rxcount} packets in 3 s`)
  t.ok(rtp2.txcount - rtp1.txcount > 100, `Asterisk sends the caller's audio to the browser: ${rtp2.txcount - rtp1.txcount} packets in 3 s`)
  await page.waitForSelector('#ind-media.on', { timeout: 5000 })
  t.equal(await page.textContent('#ind-media'), '语音已连通', 'the panel shows the audio connected')
  // The media path: Asterisk offers the machine's own addresses, which the kernel delivers over loopback.
  t.ok(s2.offered.length > 0, `Asterisk offers ICE candidates: ${s2.offered.join(', ')}`)
  for (const c of s2.offered) {
    const address = c.split(' ')[0]!
    t.ok(hostAddrs.includes(`inet ${address}/`) || hostSync('ip', ['-o', 'addr']).stdout.includes(` ${address}/`), `${address} is an address of this machine`)
    t.match(hostSync('ip', ['route', 'get', address]).stdout, /^local .* dev lo /, `the kernel routes ${address} over loopback: no media leaves the machine`)
  }
  t.ok(s2.offered.some((c) => c.endsWith(` ${s2.pairPort}`)), `ICE selected Asterisk's candidate on port ${s2.pairPort}`)
  await page.screenshot({ path: path.join(ARTIFACTS, 'one-machine-audio.png') })
  t.comment(`RESULT rx_bytes_3s=${s2.rxBytes - s1.rxBytes} tx_packets_3s=${s2.txPackets - s1.txPackets} asterisk_rx_3s=${rtp2.rxcount - rtp1.rxcount} offered=${s2.offered.join('|')}`)

  await page.click('#btn-hangup')
  const code = await Promise.race([sipp.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))])
  t.equal(code, 0, 'the SIPp caller ends normally when the agent hangs up', { output: code === 0 ? '' : sipp.output().slice(-2000) })
  t.same(pageErrors, [], 'no errors in the page')

  run.child.kill('SIGINT')
  const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))])
  t.equal(exit, 0, 'npm start ends on SIGINT')
  t.match(run.output(), 'hotline: stopped: the server, PostgreSQL, Redis, Asterisk\n', 'and stops everything it started, its Asterisk included')
})
