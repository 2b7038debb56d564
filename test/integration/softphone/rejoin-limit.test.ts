/**
 * The rejoin limit end to end, in headless Chromium (set-up as rejoin.test.ts): a WebRTC seat
 * whose leg keeps dropping on one call (here Asterisk hangs the seat's channel up through ARI,
 * as its RTP timeout would) is dialled back in only HOTLINE_SEAT_REJOIN_MAX times. The next drop
 * ends the call by the agent side, logs `rejoin-limit`, puts the agent in not ready with the
 * reason no-audio and tells the supervisors (call:rejoin-limit); the panel shows that reason in
 * words, in Chinese and in English.
 *
 * Needs the private network namespace of scripts/pbx-netns.sh (WebRTC's ICE on loopback).
 */
import t from 'tap'
import type { Page } from 'playwright-core'
import { io as connect, type Socket } from 'socket.io-client'
import { inNetns, openChromium } from '../../helpers/browser.ts'
import { ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier } from '../../helpers/sipp.ts'

const SEAT = '8001'
const MAX = 1

type PanelWindow = { __panel: { phase: string; mediaStats(): Promise<{ dtls?: string; rxPackets?: number } | null> } }
const phase = (page: Page) => page.evaluate(() => (window as unknown as PanelWindow).__panel.phase)
const mediaUp = (page: Page) => waitFor('ICE and DTLS connected', async () => {
  const s = await page.evaluate(() => (window as unknown as PanelWindow).__panel.mediaStats())
  return s && s.dtls === 'connected' && (s.rxPackets ?? 0) > 0
}, 15000, 200)

interface RejoinLimit { agentId: string | null; callId: string; seat: string | null; rejoins: number; at: string }

t.test(`a seat that keeps losing its leg: after ${MAX} rejoin(s) the next drop ends the call, the agent goes not ready (no audio), supervisors are told`, async (t) => {
  if (!inNetns) throw new Error('WebRTC on loopback needs the network namespace of scripts/pbx-netns.sh')
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none', HOTLINE_SEAT_REJOIN_S: '20', HOTLINE_SEAT_REJOIN_MAX: String(MAX) })
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agentToken = await createAgent(hotline, admin, 'A8001', { seat: SEAT })

  const supervisor: Socket = connect(`${url}/supervisor`, { auth: { token: admin }, transports: ['websocket'], reconnection: false, timeout: 3000 })
  t.teardown(() => supervisor.close())
  await new Promise<void>((resolve, reject) => { supervisor.once('connect', () => resolve()); supervisor.once('connect_error', reject) })
  const limits: RejoinLimit[] = []
  supervisor.on('call:rejoin-limit', (b: RejoinLimit) => limits.push(b))

  const page = await openChromium(t, { viewport: { width: 1360, height: 860 }, locale: 'zh-CN', media: true })
  await page.goto(`${url}/`)
  await page.fill('#login-user', 'A8001')
  await page.fill('#login-pass', 'A8001-password')
  await page.click('#login-form button[type=submit]')
  await page.waitForSelector('#seat-view:not(.hidden)', { timeout: 10000 })
  await page.selectOption('#seat-input', SEAT)
  await page.click('#seat-form button[type=submit]')
  await page.waitForSelector('#ind-sip.on', { timeout: 15000 })
  await page.click('#btn-ready')
  await page.waitForSelector('#agent-state.state-ready', { timeout: 5000 })

  const caller = `137${String(Date.now()).slice(-8)}`
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', [caller], { MAX_WAIT_MS: 90000 }, { timeoutS: 120 })
  t.teardown(() => carrier.stop())
  let carrierEnded = false
  void carrier.done.then(() => { carrierEnded = true }, () => { carrierEnded = true })
  await page.waitForSelector('#pop[data-call-id]', { timeout: 20000 })
  const callId = (await page.getAttribute('#pop', 'data-call-id'))!
  await page.waitForSelector('#btn-answer:not([disabled])', { timeout: 10000 })
  await page.click('#btn-answer')
  await waitFor('the call to be talking', async () => (await phase(page)) === 'talking', 15000, 100)

  let legLost = 0
  let rejoined = 0
  let limitEvents = 0
  hotline.calls.on('agent-leg-lost', (c) => { if (c.callId === callId) legLost += 1 })
  hotline.calls.on('rejoined', (c) => { if (c.callId === callId) rejoined += 1 })
  hotline.calls.on('rejoin-limit', (c) => { if (c.callId === callId) limitEvents += 1 })

  /** The seat's channel on the PBX (the newest one up: after a rejoin, the rejoin leg). */
  const seatChannel = async () => {
    const up = (await hotline.ari.rest.listChannels()).filter((c) => c.name.startsWith(`PJSIP/${SEAT}-`) && c.state === 'Up')
    return up.sort((a, b) => (b.creationtime ?? '').localeCompare(a.creationtime ?? ''))[0] ?? null
  }

  const seen: string[] = []
  for (let n = 1; n <= MAX; n++) {
    await mediaUp(page)
    const leg = await waitFor('the seat channel up', seatChannel, 10000, 100)
    seen.push(leg.id)
    await hotline.ari.rest.hangup(leg.id)
    await waitFor(`leg loss ${n} seen`, async () => legLost >= n, 10000, 100)
    await waitFor(`rejoin ${n}: the panel dials back in by itself`, async () => rejoined >= n, 25000, 100)
    t.notOk(carrierEnded, `after drop ${n} the caller is still on the line (rejoined)`)
    const current = await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/call', headers: { authorization: `Bearer ${agentToken}` } })
    t.match(current.json(), { current: { phase: 'talking', agentLegConnected: true, call: { callId } } }, `after rejoin ${n} the call is talking with the leg connected`)
  }

  // One drop more than the limit: no rejoin this time.
  await mediaUp(page)
  const last = await waitFor('the rejoined seat channel up', async () => { const c = await seatChannel(); return c && !seen.includes(c.id) ? c : null }, 10000, 100)
  const droppedAt = Date.now()
  await hotline.ari.rest.hangup(last.id)
  const call = await waitFor('the call record to close', async () => {
    const [c] = await hotline.sql<{ endedBy: string; outcome: string; endedAt: Date }[]>`select ended_by, outcome, ended_at from calls where id = ${callId} and ended_at is not null`
    return c
  }, 10000)
  const endMs = call.endedAt.getTime() - droppedAt
  t.ok(endMs < 5000, `the call ended ${endMs} ms after the drop past the limit (no grace wait of 20 s)`)
  t.match(call, { endedBy: 'agent', outcome: 'answered' }, 'the call record: answered, ended by the agent side')
  t.equal(legLost, MAX, `the server kept the call for ${MAX} lost leg(s) only`)
  t.equal(rejoined, MAX, `the seat rejoined ${MAX} time(s)`)
  t.equal(limitEvents, 1, 'the calls service emitted rejoin-limit once')
  const run = await carrier.done
  t.equal(run.code, 0, 'the carrier got a BYE (the caller was hung up on at the limit)')

  const log = await hotline.sql<{ event: string; detail: Record<string, unknown> | null }[]>`select event, detail from queue_log where call_id = ${callId} order by id`
  const events = log.map((e) => e.event)
  const expected = ['entered', 'offered', 'answered', ...Array.from({ length: MAX }, () => ['agent-leg-lost', 'agent-rejoined']).flat(), 'rejoin-limit', 'completed']
  t.same(events, expected, `the queue log shows ${MAX} drop(s) and rejoin(s), then the limit (${events.join(', ')})`)
  t.match(log.find((e) => e.event === 'rejoin-limit')?.detail, { seat: SEAT, reason: 'leg-ended', rejoins: MAX }, 'the rejoin-limit row names the seat, how the leg went and the rejoins so far')

  await waitFor('the supervisor to hear of the limit', async () => limits.length > 0, 5000, 100)
  t.match(limits, [{ agentId: 'A8001', callId, seat: SEAT, rejoins: MAX, at: String }], 'the supervisor socket got call:rejoin-limit')

  const agent = await waitFor('the agent in not ready (no audio)', async () => {
    const s = await hotline.agents.get('A8001')
    return s.state === 'not-ready' ? s : null
  }, 5000, 100)
  t.match(agent, { state: 'not-ready', reason: 'no-audio' }, 'the agent is not ready with the reason no-audio')
  const state = await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/state', headers: { authorization: `Bearer ${agentToken}` } })
  t.match(state.json(), { state: 'not-ready', reason: 'no-audio' }, 'GET /v1/agents/me/state says so too')

  await page.waitForSelector('#agent-state.state-not-ready', { timeout: 5000 })
  const zh = (await page.textContent('#agent-state'))?.trim()
  t.equal(zh, '示忙 · 无语音', `the panel shows the reason in Chinese (${zh})`)
  await page.click('#btn-lang')
  await waitFor('the panel in English', async () => (await page.textContent('#agent-state'))?.includes('Not ready'), 3000, 100)
  const en = (await page.textContent('#agent-state'))?.trim()
  t.equal(en, 'Not ready · No audio', `the panel shows the reason in English (${en})`)
  t.notMatch(`${zh} ${en}`, /no-audio|reason\./, 'never the raw code')
  t.comment(`RESULT max=${MAX} end_after_limit_ms=${endMs} events=${events.join(',')}`)
})
