/**
 * Agent rejoin end to end, in headless Chromium (as panel.test.ts): a WebRTC seat's browser leg
 * that drops mid-call (here a page reload) no longer hangs up on the citizen. The caller waits
 * on music while the reloaded panel asks the server to dial its seat back in (call:rejoin), the
 * panel answers that INVITE by itself (X-Hotline-Rejoin) and audio flows both ways again. A
 * panel that never comes back ends the call after HOTLINE_SEAT_REJOIN_S, by the agent's side.
 * Desk phones (SIPp seats) keep ending the call with their BYE: test/integration/calls/.
 *
 * Needs the private network namespace of scripts/pbx-netns.sh (WebRTC's ICE on loopback).
 */
import t from 'tap'
import type { Page } from 'playwright-core'
import { inNetns, openChromium } from '../../helpers/browser.ts'
import type { Test } from 'tap'
import { ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier, type SippProcess } from '../../helpers/sipp.ts'

const SEAT = '8001'

interface MediaStats { ice: string; connection: string; rxPackets?: number; txPackets?: number; rxEnergy?: number; dtls?: string }
type PanelWindow = { __panel: { phase: string; mediaStats(): Promise<MediaStats | null> } }

async function openBrowser(t: Test): Promise<Page> {
  return openChromium(t, { viewport: { width: 1360, height: 860 }, locale: 'zh-CN', media: true })
}

const stats = (page: Page) => page.evaluate(() => (window as unknown as PanelWindow).__panel.mediaStats())
const phase = (page: Page) => page.evaluate(() => (window as unknown as PanelWindow).__panel.phase)

/** Packets received and sent by the browser over `ms`, from WebRTC statistics. */
async function flow(page: Page, ms: number): Promise<{ rx: number; tx: number; total: MediaStats }> {
  await waitFor('ICE and DTLS connected', async () => { const s = await stats(page); return s && s.dtls === 'connected' && (s.rxPackets ?? 0) > 0 }, 15000, 200)
  const a = (await stats(page))!
  await new Promise((r) => setTimeout(r, ms))
  const b = (await stats(page))!
  return { rx: (b.rxPackets ?? 0) - (a.rxPackets ?? 0), tx: (b.txPackets ?? 0) - (a.txPackets ?? 0), total: b }
}

/** Logs the panel in, signs in to the WebRTC seat, goes ready, takes a carrier call and answers it. */
async function connectedCall(t: Test, overrides: Record<string, string>): Promise<{ hotline: Awaited<ReturnType<typeof startHotline>>; page: Page; callId: string; carrier: SippProcess; carrierEnded: () => boolean; agentToken: string }> {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none', ...overrides })
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agentToken = await createAgent(hotline, admin, 'A8001', { seat: SEAT })
  const page = await openBrowser(t)
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
  let ended = false
  void carrier.done.then(() => { ended = true }, () => { ended = true })
  await page.waitForSelector('#pop[data-call-id]', { timeout: 20000 })
  const callId = (await page.getAttribute('#pop', 'data-call-id'))!
  await page.waitForSelector('#btn-answer:not([disabled])', { timeout: 10000 })
  await page.click('#btn-answer')
  await waitFor('the call to be talking', async () => (await phase(page)) === 'talking', 15000, 100)
  return { hotline, page, callId, carrier, carrierEnded: () => ended, agentToken }
}

const queueLog = (hotline: Awaited<ReturnType<typeof startHotline>>, callId: string) =>
  hotline.sql<{ event: string; detail: Record<string, unknown> | null }[]>`select event, detail from queue_log where call_id = ${callId} order by id`

t.test('a reloaded panel rejoins its call: the caller waits on music, audio flows both ways again, the agent hangs up normally', async (t) => {
  if (!inNetns) throw new Error('WebRTC on loopback needs the network namespace of scripts/pbx-netns.sh')
  const { hotline, page, callId, carrier, carrierEnded, agentToken } = await connectedCall(t, { HOTLINE_SEAT_REJOIN_S: '30' })
  const before = await flow(page, 2000)
  t.ok(before.rx > 50 && before.tx > 50, `before the reload: ${before.rx} packets in, ${before.tx} out in 2 s`)

  let legLost = 0
  let rejoined = 0
  hotline.calls.on('agent-leg-lost', (c) => { if (c.callId === callId) legLost += 1 })
  hotline.calls.on('rejoined', (c) => { if (c.callId === callId) rejoined += 1 })
  const reloadedAt = Date.now()
  await page.reload()
  await page.waitForSelector(`#pop[data-call-id="${callId}"]`, { timeout: 15000 })
  t.equal(await page.textContent('#tf-call'), callId, 'after the reload the ticket form is bound to the same call')

  await waitFor('the seat to rejoin', async () => rejoined > 0, 20000, 100)
  const rejoinMs = Date.now() - reloadedAt
  t.equal(legLost, 1, 'the server saw the browser leg go (or replaced it) once')
  t.notOk(carrierEnded(), 'the SIPp caller was never hung up on')
  const [row] = await hotline.sql<{ endedAt: Date | null }[]>`select ended_at from calls where id = ${callId}`
  t.equal(row?.endedAt, null, 'the call row stays open')
  const current = await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/call', headers: { authorization: `Bearer ${agentToken}` } })
  t.match(current.json(), { current: { phase: 'talking', agentLegConnected: true, rejoinBy: null, call: { callId } } }, 'GET /v1/agents/me/call: talking, leg connected again')
  const state = await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/state', headers: { authorization: `Bearer ${agentToken}` } })
  t.match(state.json(), { state: 'talking', callId }, 'the agent stayed talking on the same call')

  const after = await flow(page, 3000)
  t.ok(after.rx > 100, `after the rejoin the caller reaches the browser: ${after.rx} packets in 3 s`)
  t.ok(after.tx > 100, `after the rejoin the browser is sent: ${after.tx} packets in 3 s`)
  t.ok((after.total.rxEnergy ?? 0) > 0, `received audio is not silence (totalAudioEnergy ${after.total.rxEnergy})`)

  await page.click('#btn-hangup')
  const run = await carrier.done
  t.equal(run.code, 0, 'the carrier call ended normally (the agent hung up)')
  const call = await waitFor('the call record to close', async () => {
    const [c] = await hotline.sql<{ endedBy: string; outcome: string }[]>`select ended_by, outcome from calls where id = ${callId} and ended_at is not null`
    return c
  })
  t.match(call, { endedBy: 'agent', outcome: 'answered' }, 'the call record: answered, ended by the agent')
  const log = await queueLog(hotline, callId)
  const events = log.map((e) => e.event)
  t.match(events, ['entered', 'offered', 'answered', 'agent-leg-lost', 'agent-rejoined', 'completed'], `the queue log shows the drop and the rejoin (${events.join(', ')})`)
  // leg-ended: the reloading page's BYE (pagehide); replaced-by-rejoin: no BYE reached Asterisk.
  const lost = log.find((e) => e.event === 'agent-leg-lost')?.detail
  t.match(lost, { seat: SEAT, reason: /^(leg-ended|replaced-by-rejoin)$/, graceS: 30 }, `the drop is logged with the seat and how it was seen (${String(lost?.reason)})`)
  t.comment(`RESULT leg_lost_reason=${String(lost?.reason)} rejoin_ms=${rejoinMs} before_rx_2s=${before.rx} before_tx_2s=${before.tx} after_rx_3s=${after.rx} after_tx_3s=${after.tx} after_rx_total=${after.total.rxPackets} after_tx_total=${after.total.txPackets}`)
})

t.test('a panel that never comes back: the call ends after the grace time, by the agent side', async (t) => {
  if (!inNetns) throw new Error('WebRTC on loopback needs the network namespace of scripts/pbx-netns.sh')
  const { hotline, page, callId, carrier, carrierEnded } = await connectedCall(t, { HOTLINE_SEAT_REJOIN_S: '3' })
  await flow(page, 500)
  let lostAt = 0
  hotline.calls.on('agent-leg-lost', (c) => { if (c.callId === callId) lostAt = Date.now() })
  // The browser leaves for good: its JsSIP phone ends the session as the page unloads, or
  // Asterisk notices the WebSocket went away.
  await page.goto('about:blank')
  await waitFor('the server to see the leg go', async () => lostAt > 0, 15000, 100)
  await new Promise((r) => setTimeout(r, 1500))
  t.notOk(carrierEnded(), 'within the grace time the caller is still on the line')
  const [open] = await hotline.sql<{ endedAt: Date | null }[]>`select ended_at from calls where id = ${callId}`
  t.equal(open?.endedAt, null, 'and the call row is open')
  const call = await waitFor('the call record to close', async () => {
    const [c] = await hotline.sql<{ endedBy: string; outcome: string; endedAt: Date }[]>`select ended_by, outcome, ended_at from calls where id = ${callId} and ended_at is not null`
    return c
  }, 10000)
  const afterMs = call.endedAt.getTime() - lostAt
  t.ok(afterMs >= 2500 && afterMs < 6000, `the call ended ${afterMs} ms after the leg dropped (grace 3 s)`)
  t.match(call, { endedBy: 'agent', outcome: 'answered' }, 'ended by the agent side')
  const run = await carrier.done
  t.equal(run.code, 0, 'the carrier got a BYE (the caller was hung up on after the grace)')
  const events = (await queueLog(hotline, callId)).map((e) => e.event)
  t.match(events, ['entered', 'offered', 'answered', 'agent-leg-lost', 'rejoin-expired', 'completed'], `the queue log shows the drop and the expiry (${events.join(', ')})`)
  const state = await waitFor('the agent in wrap-up', async () => {
    const s = await hotline.agents.get('A8001')
    return s.state === 'wrap-up' || s.state === 'ready' ? s : null
  }, 5000)
  t.ok(state, `the agent left the call (${state.state})`)
})
