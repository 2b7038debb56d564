/**
 * The wallboard page in real headless Chromium (Debian's, driven by playwright-core): a
 * supervisor logs in, the board shows the lines, an agent signing in and a real SIPp call to
 * 12345 show up live (state, masked caller, figures) without reloading. A screenshot of the
 * board mid-call is kept in test-artifacts/wallboard.png.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { openChromium } from '../../helpers/browser.ts'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor } from '../../helpers/hotline.ts'
import { ARTIFACTS } from '../../helpers/services.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

t.test('the wallboard page shows live changes', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  await hotline.app.inject({ method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${admin}` }, payload: { id: 'SUP3', displayName: '值班长', role: 'supervisor', password: 'Supervisor-pass-1' } })
  const agentToken = await createAgent(hotline, admin, 'P1001', { seat: '1001' })
  await registerSeats([{ seat: '1001', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1001') }], 5071)
  startAgentPhone(t, 'uas-agent-answers.xml', 5071, { RING_MS: 300, TALK_MS: 6000 }, 2, 90)

  const page = await openChromium(t, { viewport: { width: 1440, height: 1000 } })
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))

  await page.goto(`${address}/wallboard/`)
  await page.waitForSelector('#login:not([hidden])', { timeout: 10000 })
  t.equal(await page.title(), '12345 热线监控大屏', 'a Chinese page; without a token it asks to log in')
  await page.fill('input[name=username]', 'SUP3')
  await page.fill('input[name=password]', 'Supervisor-pass-1')
  await page.click('#login button[type=submit]')
  await page.waitForSelector('#conn.on', { timeout: 10000 })
  await page.waitForSelector('#lines tr[data-key="12345"]', { timeout: 10000 })
  t.match(await page.textContent('#lines tr[data-key="12345"]'), /12345/, 'line 12345 on the board')

  // An agent signs in and gets ready: the row appears and changes state without a reload.
  const t0 = Date.now()
  await agentCommand(hotline, agentToken, 'me', 'sign-in', { seat: '1001' })
  await agentCommand(hotline, agentToken, 'me', 'ready')
  await page.waitForFunction(() => document.querySelector('#agents tr[data-agent="P1001"] [data-f=state]')?.textContent === '示闲', null, { timeout: 3000 })
  const shownAfter = Date.now() - t0
  t.ok(shownAfter < 1500, `agent ready shown ${shownAfter} ms after the command`)

  // A real call: the agent row shows talking with the masked caller, the line counts it.
  const caller = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13800138077'], { MAX_WAIT_MS: 30000 }, { timeoutS: 45 })
  await page.waitForFunction(() => document.querySelector('#agents tr[data-agent="P1001"] [data-f=state]')?.textContent === '通话', null, { timeout: 10000 })
  const row = await page.textContent('#agents tr[data-agent="P1001"]')
  t.match(row, /138\*{4}8077/, 'the caller is masked on the board')
  t.notMatch(row, /13800138077/, 'the whole number is not shown')
  await page.waitForFunction(() => document.querySelector('#lines tr[data-key="12345"] [data-f=offered]')?.textContent === '1', null, { timeout: 5000 })
  t.equal(await page.textContent('#lines tr[data-key="12345"] [data-f=answered]'), '1', 'the line shows the call answered')
  t.equal(await page.textContent('#lines tr[data-key="12345"] [data-f=serviceLevel15]'), '100.0%', '15-second answer rate')
  await page.waitForTimeout(1200) // durations tick once
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: path.join(ARTIFACTS, 'wallboard.png'), fullPage: true })
  t.ok(await page.locator('#chart-waiting rect').count() > 0, 'the day chart is drawn')
  const stats = await page.evaluate(() => (window as unknown as { wallboardStats: { updates: number; lagsMs: number[] } }).wallboardStats)
  t.ok(stats.updates > 0, `${stats.updates} pushed updates applied`)
  t.ok(Math.max(...stats.lagsMs) < 1000, `each within 1 s of its change (max ${Math.max(...stats.lagsMs)} ms)`)

  const done = await caller.done
  t.equal(done.code, 0, 'the call completed')
  await page.waitForFunction(() => document.querySelector('#agents tr[data-agent="P1001"] [data-f=answeredToday]')?.textContent === '1', null, { timeout: 10000 })
  t.pass('the agent\'s calls today counts the call')
  t.same(pageErrors, [], 'no script errors on the page')
})
