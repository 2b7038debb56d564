/**
 * The pages' side of sessions, in real headless Chromium:
 * - the agent panel renews its session silently: with a 15 s access token it still takes
 *   commands over its socket and REST well past two lifetimes, without a login in between, and
 *   its socket carries the renewed token (before, the socket closed when the token expired);
 * - its sign-out button ends the session on the server (POST /v1/auth/logout): the refresh token
 *   the page held no longer works;
 * - the first administrator, logging in to the wallboard with the generated password, is asked
 *   for a new one (the rules' error in Chinese) and gets the board only after changing it.
 */
import t from 'tap'
import { inNetns, openChromium } from '../../helpers/browser.ts'
import { ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import type { TokenClaims } from '../../../src/auth/plugin.ts'

const TTL = 15

t.test('the agent panel outlives its access tokens and signs out on the server', async (t) => {
  if (!inNetns) throw new Error('WebRTC on loopback needs the network namespace of scripts/pbx-netns.sh: run it through npm test')
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none', HOTLINE_ACCESS_TOKEN_TTL_S: String(TTL) })
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  await createAgent(hotline, await tokenFor(hotline, 'admin', ADMIN_PASSWORD), 'R8005', { seat: '8005' })

  const page = await openChromium(t, { viewport: { width: 1360, height: 860 }, locale: 'zh-CN', media: true })
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  await page.goto(`${url}/`)
  await page.fill('#login-user', 'R8005')
  await page.fill('#login-pass', 'R8005-password')
  await page.click('#login-form button[type=submit]')
  await page.waitForSelector('#seat-view:not(.hidden) #seat-input option', { state: 'attached', timeout: 10000 })
  await page.selectOption('#seat-input', '8005')
  await page.click('#seat-form button[type=submit]')
  await page.waitForSelector('#ind-sip.on', { timeout: 15000 })
  await page.click('#btn-ready')
  await page.waitForSelector('#agent-state.state-ready', { timeout: 5000 })
  const firstToken = await page.evaluate(() => sessionStorage.getItem('hotline.token'))
  const serverSocket = () => [...hotline.io.of('/agent').sockets.values()].find((s) => (s.data.user as TokenClaims).sub === 'R8005')
  const firstExp = (serverSocket()?.data.user as TokenClaims | undefined)?.exp ?? 0
  t.ok(firstExp > 0, 'the panel has a socket on the server')

  // Two and a half lifetimes of the access token, the panel left alone.
  const until = Date.now() + TTL * 2.5 * 1000
  let loginShown = false
  while (Date.now() < until) {
    loginShown ||= await page.isVisible('#login-view')
    await new Promise((r) => setTimeout(r, 500))
  }
  t.notOk(loginShown, 'the login never came back')
  t.not(await page.evaluate(() => sessionStorage.getItem('hotline.token')), firstToken, 'the page holds a renewed access token')
  const socket = serverSocket()
  t.ok(socket?.connected, 'the panel socket is still connected (it would have closed when the first token expired)')
  t.ok(((socket?.data.user as TokenClaims | undefined)?.exp ?? 0) > firstExp + TTL, 'carrying a renewed token (auth:renew)')
  t.equal(await page.isVisible('#ind-socket.on'), true, 'the panel shows its socket online')

  // Commands still work: over the socket (not ready, ready) and over REST.
  await page.click('#btn-not-ready')
  await page.waitForSelector('#agent-state.state-not-ready', { timeout: 5000 })
  await page.click('#btn-ready')
  await page.waitForSelector('#agent-state.state-ready', { timeout: 5000 })
  t.pass('socket commands work past the first tokens')
  const rest = await page.evaluate(async () => (await fetch('/v1/agents/me/state', { headers: { authorization: `Bearer ${sessionStorage.getItem('hotline.token')}` } })).status)
  t.equal(rest, 200, 'and the current token works on REST')

  // Sign-out in the page ends the session on the server.
  const refreshToken = await page.evaluate(() => sessionStorage.getItem('hotline.refresh'))
  t.ok(refreshToken, 'the page keeps a refresh token')
  await page.click('#btn-logout')
  await page.waitForSelector('#login-view:not(.hidden)', { timeout: 5000 })
  await waitFor('the sign-out to reach the server', async () => (await hotline.sql`select 1 from audit_log where action = 'auth.logout' and actor = 'R8005'`).length > 0, 5000)
  const replay = await hotline.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } })
  t.equal(replay.statusCode, 401, "the page's refresh token is void after its sign-out button")
  t.equal(await page.evaluate(() => sessionStorage.getItem('hotline.refresh')), null, 'and the page forgot it')
  t.same(pageErrors, [], 'no script errors in the page')
})

t.test('the first administrator changes the generated password in the wallboard', async (t) => {
  const hotline = await startHotline(t)
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const page = await openChromium(t, { viewport: { width: 1360, height: 860 }, locale: 'zh-CN' })
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  await page.goto(`${url}/wallboard/`)
  await page.waitForSelector('#login:not([hidden])')
  await page.fill('input[name=username]', 'admin')
  await page.fill('input[name=password]', ADMIN_PASSWORD)
  await page.click('#login button[type=submit]')
  await page.waitForSelector('dialog#password-change[open]', { timeout: 10000 })
  t.match(await page.textContent('dialog#password-change h2'), /请修改初始密码/, 'the page asks for a new password, in Chinese')
  t.notOk(await page.isVisible('#conn.on'), 'and shows no board meanwhile')

  await page.fill('dialog#password-change input[name=new]', 'Night-Shift-2026')
  await page.fill('dialog#password-change input[name=repeat]', 'Night-Shift-2027')
  await page.click('dialog#password-change button[type=submit]')
  await page.waitForFunction(() => document.querySelector('dialog#password-change .error')?.textContent !== '')
  t.equal(await page.textContent('dialog#password-change .error'), '两次输入的新密码不一致', 'two different new passwords are caught in the page')

  await page.fill('dialog#password-change input[name=new]', 'weakpassword')
  await page.fill('dialog#password-change input[name=repeat]', 'weakpassword')
  await page.click('dialog#password-change button[type=submit]')
  await page.waitForFunction(() => /新密码不符合要求/.test(document.querySelector('dialog#password-change .error')?.textContent ?? ''), null, { timeout: 5000 })
  t.pass("the server's rule (HOTLINE_USERS_WEAK_PASSWORD) reads in Chinese")

  await page.fill('dialog#password-change input[name=new]', 'Night-Shift-2026')
  await page.fill('dialog#password-change input[name=repeat]', 'Night-Shift-2026')
  await page.click('dialog#password-change button[type=submit]')
  await page.waitForSelector('#conn.on', { timeout: 10000 })
  t.notOk(await page.isVisible('dialog#password-change'), 'the dialog is gone')
  t.pass('the board connects once the password is changed')
  const login = await hotline.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username: 'admin', password: 'Night-Shift-2026' } })
  t.equal(login.statusCode, 200, 'the new password logs in')
  t.equal((login.json() as { passwordChangeRequired: boolean }).passwordChangeRequired, false, 'and is not asked to change again')
  t.equal((await hotline.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username: 'admin', password: ADMIN_PASSWORD } })).statusCode, 401, 'the generated one no longer does')
  t.same(pageErrors, [], 'no script errors in the page')
})
