/**
 * An agent's shift in the panel, in real headless Chromium against a real Hotline, Asterisk and
 * SIPp carrier (namespace of scripts/pbx-netns.sh, as panel.test.ts): what an agent reads and can
 * click. A wrong password reads in Chinese; the seat choice offers only the browser seats this
 * agent may use, free ones selectable (a desk seat assigned to them is not offered); a call pops
 * with its queue's name; disabled buttons do not keep their green and red; the ticket form
 * survives a reload in wrap-up and saves on the call that just ended; English leaves no Chinese
 * in reasons, placeholders and transfer targets; when the server goes away the panel stops showing
 * the agent as ready. A call whose browser media dies shows "no audio" in the panel and on the wallboard.
 */
import t from 'tap'
import type { Page } from 'playwright-core'
import { inNetns, openChromium } from '../../helpers/browser.ts'
import { ADMIN_PASSWORD, agentCommand, assignSeat, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier } from '../../helpers/sipp.ts'

type PanelWindow = { __panel: { phase: string; call: { callId: string } | null } }
const phase = (page: Page) => page.evaluate(() => (window as unknown as PanelWindow).__panel.phase)
const CJK = /[\u3400-\u9fff]/

async function logIn(page: Page, url: string, user: string, password: string) {
  await page.goto(`${url}/`)
  await page.fill('#login-user', user)
  await page.fill('#login-pass', password)
  await page.click('#login-form button[type=submit]')
}

t.test('a shift in the panel: seats, pop, disabled buttons, wrap-up reload, English, server gone', async (t) => {
  if (!inNetns) throw new Error('WebRTC on loopback needs the network namespace of scripts/pbx-netns.sh: run it through npm test')
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const auth = { authorization: `Bearer ${admin}` }
  // Long enough a wrap-up to reload in it.
  const q = await hotline.app.inject({ method: 'PUT', url: '/v1/queues/general', headers: auth, payload: { name: '12345 综合队列', wrapUpSeconds: 120, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null } })
  t.equal(q.statusCode, 200, 'queue wrap-up set to 120 s')
  await createAgent(hotline, admin, 'S8001', { seat: '8001' })
  await assignSeat(hotline, admin, '8002', 'S8001')
  await assignSeat(hotline, admin, '1001', 'S8001') // a desk phone: never offered in the browser
  const other = await createAgent(hotline, admin, 'S8009', { seat: '8009' })
  // 8002 is S8001's, but another agent cannot take it: make it taken by assigning it to the
  // workstation (loopback) and signing S8009 in to it from there.
  await assignSeat(hotline, admin, '8003', 'S8009')
  await hotline.app.inject({ method: 'PUT', url: '/v1/seats/8004', headers: auth, payload: { workstation: '127.0.0.1' } })
  await agentCommand(hotline, other, 'me', 'sign-in', { seat: '8004' })

  const page = await openChromium(t, { viewport: { width: 1360, height: 860 }, locale: 'zh-CN', media: true })
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))

  await logIn(page, url, 'S8001', 'wrong-password')
  await page.waitForFunction(() => document.querySelector('#login-error')?.textContent !== '', null, { timeout: 5000 })
  t.equal(await page.textContent('#login-error'), '工号或密码错误', 'a wrong password reads in Chinese, not the server\'s English')

  await page.fill('#login-pass', 'S8001-password')
  await page.click('#login-form button[type=submit]')
  await page.waitForSelector('#seat-view:not(.hidden) #seat-input option', { state: 'attached', timeout: 10000 })
  const options = await page.$$eval('#seat-input option', (os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent, disabled: (o as HTMLOptionElement).disabled })))
  t.same(options.map((o) => o.value), ['8001', '8002', '8004'], 'only the browser seats this agent may use here: own 8001, 8002 and the workstation\'s 8004; not desk seat 1001, not 8003')
  t.match(options.find((o) => o.value === '8004'), { disabled: true, text: /已被占用/ }, 'a seat someone is signed in to is shown taken and cannot be chosen')
  t.match(options.find((o) => o.value === '8001'), { disabled: false, text: /空闲/ }, 'a free seat says so')
  t.match(await page.textContent('#seat-view'), /只列出分配给您的浏览器座席/, 'the panel says which seats it offers')

  await page.selectOption('#seat-input', '8001')
  await page.click('#seat-form button[type=submit]')
  await page.waitForSelector('#ind-sip.on', { timeout: 15000 })
  // Disabled buttons look disabled: not the green of answer, not the red of hang up.
  const looks = await page.evaluate(() => ['btn-answer', 'btn-hangup'].map((id) => { const b = document.getElementById(id) as HTMLButtonElement; return { disabled: b.disabled, bg: getComputedStyle(b).backgroundColor } }))
  t.same(looks.map((l) => l.disabled), [true, true], 'with no call, answer and hang up are disabled')
  t.same(looks.map((l) => l.bg), ['rgb(238, 241, 244)', 'rgb(238, 241, 244)'], 'and grey, not green and red')

  await page.click('#btn-ready')
  await page.waitForSelector('#agent-state.state-ready', { timeout: 5000 })
  const caller = `136${String(Date.now()).slice(-8)}`
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', [caller], { MAX_WAIT_MS: 60000 }, { timeoutS: 90 })
  t.teardown(() => carrier.stop())
  await page.waitForSelector('#pop[data-call-id]', { timeout: 20000 })
  const callId = (await page.getAttribute('#pop', 'data-call-id'))!
  t.equal(await page.textContent('#pop-queue'), '12345 综合队列', 'the pop names the queue')
  await page.waitForSelector('#btn-answer:not([disabled])', { timeout: 10000 })
  t.equal(await page.$eval('#btn-answer', (b) => getComputedStyle(b).backgroundColor), 'rgb(26, 127, 55)', 'an enabled answer button is green')
  await page.click('#btn-answer')
  await waitFor('talking', async () => (await phase(page)) === 'talking', 10000, 100)
  await page.waitForSelector('#ind-media.on', { timeout: 8000 })
  t.equal(await page.textContent('#ind-media'), '语音已连通', 'audio connected')

  // The agent writes the ticket while talking, and the call ends before it is saved.
  await page.selectOption('#tf-category', 'city-management')
  await page.fill('#tf-content', '反映人民路路灯不亮')
  await page.click('#btn-hangup')
  await page.waitForSelector('#agent-state.state-wrap-up', { timeout: 10000 })
  await page.reload()
  await page.waitForSelector(`#pop[data-call-id="${callId}"]`, { timeout: 15000 })
  await page.waitForSelector('#agent-state.state-wrap-up', { timeout: 10000 })
  t.equal(await page.textContent('#tf-call'), callId, 'reloaded in wrap-up: the form is still bound to the call that ended')
  t.equal(await page.inputValue('#tf-content'), '反映人民路路灯不亮', 'and what was typed is still there')
  t.equal(await page.inputValue('#tf-category'), 'city-management', 'the category too')
  t.ok(await page.isDisabled('#btn-hangup'), 'the ended call cannot be hung up again')
  await page.click('#tf-save')
  await page.waitForSelector('#tf-result.ok', { timeout: 10000 })
  const number = await page.getAttribute('#tf-result', 'data-ticket')
  const [link] = await hotline.sql<{ callId: string }[]>`select c.call_id from tickets t join ticket_calls c on c.ticket_id = t.id where t.number = ${number}`
  t.equal(link?.callId, callId, 'the ticket saved after the reload links the call')

  // English: nothing the agent reads is left in Chinese but data (names of units, categories).
  await page.click('#btn-lang')
  const english = await page.evaluate(() => ({
    reasons: Array.from(document.querySelectorAll('#sel-reason option')).map((o) => o.textContent ?? ''),
    targets: Array.from(document.querySelectorAll('#sel-target option')).map((o) => o.textContent ?? ''),
    placeholders: Array.from(document.querySelectorAll('[placeholder]')).map((e) => (e as HTMLInputElement).placeholder),
    state: document.querySelector('#agent-state')?.textContent ?? '',
    seatHint: document.querySelector('#seat-view .muted')?.textContent ?? ''
  }))
  t.ok(english.reasons.length > 0 && english.reasons.every((r) => !CJK.test(r)), `not-ready reasons in English: ${english.reasons.join(', ')}`)
  t.ok(english.targets.length > 0 && english.targets.every((r) => !CJK.test(r)), `transfer targets in English: ${english.targets.join(', ')}`)
  t.ok(english.placeholders.every((r) => !CJK.test(r)), `placeholders in English: ${english.placeholders.join(', ')}`)
  t.notMatch(english.state + english.seatHint, CJK, 'state and seat texts in English')
  await page.click('#btn-lang')

  // The server goes away: the panel says so and no longer shows the agent as ready or in wrap-up.
  const done = await carrier.done
  t.equal(done.code, 0, 'the carrier call ended')
  await hotline.close()
  await page.waitForSelector('#ind-socket.off', { timeout: 10000 })
  await page.waitForSelector('#agent-state.state-unknown', { timeout: 5000 })
  t.equal(await page.textContent('#agent-state'), '状态未知', 'state unknown instead of the last state')
  t.ok(await page.isDisabled('#btn-ready') && await page.isDisabled('#btn-not-ready'), 'state buttons disabled')
  t.same(pageErrors, [], 'no script errors')
})

t.test('a call whose audio stops shows "no audio" to the agent and on the wallboard', async (t) => {
  if (!inNetns) throw new Error('needs the network namespace of scripts/pbx-netns.sh: run it through npm test')
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  await createAgent(hotline, admin, 'N8001', { seat: '8001' })
  await hotline.app.inject({ method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${admin}` }, payload: { id: 'SUP9', displayName: '值班长', role: 'supervisor', password: 'Supervisor-pass-1' } })

  const page = await openChromium(t, { viewport: { width: 1360, height: 860 }, locale: 'zh-CN', media: true })
  const board = await page.context().newPage()
  await board.goto(`${url}/wallboard/`)
  await board.fill('input[name=username]', 'SUP9')
  await board.fill('input[name=password]', 'Supervisor-pass-1')
  await board.click('#login button[type=submit]')
  await board.waitForSelector('#conn.on', { timeout: 10000 })

  await logIn(page, url, 'N8001', 'N8001-password')
  await page.waitForSelector('#seat-view:not(.hidden) #seat-input option', { state: 'attached', timeout: 10000 })
  await page.selectOption('#seat-input', '8001')
  await page.click('#seat-form button[type=submit]')
  await page.waitForSelector('#ind-sip.on', { timeout: 15000 })
  await page.click('#btn-ready')
  await page.waitForSelector('#agent-state.state-ready', { timeout: 5000 })
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', [`135${String(Date.now()).slice(-8)}`], { MAX_WAIT_MS: 60000 }, { timeoutS: 90 })
  t.teardown(() => carrier.stop())
  await page.waitForSelector('#btn-answer:not([disabled])', { timeout: 20000 })
  await page.click('#btn-answer')
  await waitFor('talking', async () => (await phase(page)) === 'talking', 10000, 100)
  await page.waitForSelector('#ind-media.on', { timeout: 8000 })
  await board.waitForSelector('#agents tr[data-agent="N8001"] .media-connected', { timeout: 5000 })
  t.pass('audio connected, and the wallboard says so')
  // The browser's media dies while the SIP call stays up (what a browser whose WebRTC cannot reach
  // the PBX looks like: the call is "talking", nothing is heard).
  await page.evaluate(() => (window as unknown as { __panel: { session: { connection: RTCPeerConnection } } }).__panel.session.connection.close())
  const t0 = Date.now()
  await page.waitForSelector('#ind-media.off', { timeout: 6000 })
  t.equal(await page.textContent('#ind-media'), '无声音', `the panel shows "no audio" (${Date.now() - t0} ms after its audio stopped)`)
  t.match(await page.textContent('#call-status'), /听不到声音/, 'and tells the agent what it means')
  await board.waitForSelector('#agents tr[data-agent="N8001"] .media-no-audio', { timeout: 5000 })
  t.match(await board.textContent('#agents tr[data-agent="N8001"]'), /无声音/, 'the wallboard shows the seat has no audio')
  await page.click('#btn-hangup')
  await carrier.done
})
