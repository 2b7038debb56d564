/**
 * Account life cycle and revocation (findings 4 and 2), as an attacker holding a stolen or old
 * token would try: disabling an account, resetting or changing its password and signing out
 * end its tokens at once, for REST and for open sockets (closed within seconds); a socket whose
 * token was revoked while it was away cannot resume its session; the default namespace takes
 * nobody; a socket is rate limited and cannot send a large message; weak passwords are refused.
 */
import t from 'tap'
import { io as connect, type Socket } from 'socket.io-client'
import { ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'

t.test('disable, enable, password change and reset, sign-out: old tokens die on REST and on sockets', async (t) => {
  const hotline = await startHotline(t)
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const inject = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
    hotline.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.disconnect() })
  const open = async (ns: string, token?: string) => {
    const s = connect(`${address}${ns}`, { auth: token ? { token } : {}, transports: ['websocket'], reconnection: false, timeout: 3000 })
    sockets.push(s)
    const result = await new Promise<string>((resolve) => { s.on('connect', () => resolve('connected')); s.on('connect_error', (err) => resolve(err.message)) })
    return { s, result }
  }
  const closedWithin = (s: Socket, ms: number) => new Promise<number>((resolve, reject) => {
    const t0 = Date.now()
    if (!s.connected) return resolve(0)
    s.once('disconnect', () => resolve(Date.now() - t0))
    setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms)
  })

  let agent = await createAgent(hotline, admin, 'ACC1')
  const list = await inject('GET', '/v1/users', admin)
  t.equal(list.statusCode, 200, 'administrators list the users')
  t.match(list.json(), [{ id: 'ACC1', role: 'agent', disabled: false }].concat(), 'with role and state')
  t.ok((list.json() as { id: string }[]).some((u) => u.id === 'ACC1'), 'the new agent is listed')
  t.equal((await inject('GET', '/v1/users', agent)).statusCode, 403, 'agents may not list users')

  // Disable: the agent's token and socket die.
  const panel = await open('/agent', agent)
  t.equal(panel.result, 'connected', "the agent's panel socket connects")
  const state = await panel.s.timeout(2000).emitWithAck('agent:get-state') as { ok: boolean }
  t.ok(state.ok, 'and runs commands')
  const closing = closedWithin(panel.s, 3000)
  t.equal((await inject('POST', '/v1/users/ACC1/disable', admin)).statusCode, 204, 'the administrator disables the agent')
  t.ok((await closing) < 3000, 'the open socket is closed within seconds')
  const after = await inject('GET', '/v1/agents/me/state', agent)
  t.equal(after.statusCode, 401, 'the old token is refused on REST')
  t.match(after.json(), { message: /revoked/ }, 'saying it was revoked')
  t.match((await open('/agent', agent)).result, /revoked/, 'and a new socket with it is refused')
  t.equal((await inject('POST', '/v1/auth/token', undefined, { username: 'ACC1', password: 'ACC1-password' })).statusCode, 401, 'a disabled account cannot log in')
  t.equal((await inject('POST', '/v1/users/admin/disable', admin)).statusCode, 400, 'an administrator cannot disable themselves')
  t.equal((await inject('POST', '/v1/users/nobody-such/disable', admin)).statusCode, 404, 'an unknown user is a 404')
  t.equal((await inject('POST', '/v1/users/ACC1/enable', admin)).statusCode, 204, 'enabled again')
  agent = await tokenFor(hotline, 'ACC1', 'ACC1-password')

  // Own password change.
  const weak = await inject('POST', '/v1/auth/password', agent, { currentPassword: 'ACC1-password', newPassword: 'password12' })
  t.equal(weak.statusCode, 400, 'a weak password is refused')
  t.match(weak.json(), { code: 'HOTLINE_USERS_WEAK_PASSWORD', message: /body\.newPassword: must mix at least three/ }, 'saying why')
  t.match((await inject('POST', '/v1/auth/password', agent, { currentPassword: 'ACC1-password', newPassword: 'ACC1-password' })).json(), { message: /must differ from the current password/ }, 'the same password again is refused')
  t.equal((await inject('POST', '/v1/auth/password', agent, { currentPassword: 'wrong-one', newPassword: 'Blue-Harbour-2026' })).statusCode, 401, 'the current password is required')
  const changed = await inject('POST', '/v1/auth/password', agent, { currentPassword: 'ACC1-password', newPassword: 'Blue-Harbour-2026' })
  t.equal(changed.statusCode, 200, 'the agent changes the password')
  const fresh = (changed.json() as { token: string }).token
  t.equal((await inject('GET', '/v1/agents/me/state', agent)).statusCode, 401, 'the token from before the change is void')
  t.equal((await inject('GET', '/v1/agents/me/state', fresh)).statusCode, 200, 'the token returned with the change works')
  t.equal((await inject('POST', '/v1/auth/token', undefined, { username: 'ACC1', password: 'ACC1-password' })).statusCode, 401, 'the old password no longer logs in')

  // Reset by the administrator.
  t.equal((await inject('POST', '/v1/users/ACC1/password', admin, { newPassword: 'short' })).statusCode, 400, 'a reset to a weak password is refused')
  t.equal((await inject('POST', '/v1/users/ACC1/password', agent, { newPassword: 'Green-Valley-2026' })).statusCode, 401, 'an old token cannot even try')
  t.equal((await inject('POST', '/v1/users/ACC1/password', fresh, { newPassword: 'Green-Valley-2026' })).statusCode, 403, 'an agent cannot reset passwords')
  t.equal((await inject('POST', '/v1/users/ACC1/password', admin, { newPassword: 'Green-Valley-2026' })).statusCode, 204, 'the administrator resets it')
  t.equal((await inject('GET', '/v1/agents/me/state', fresh)).statusCode, 401, "the user's tokens end with the reset")
  const afterReset = await tokenFor(hotline, 'ACC1', 'Green-Valley-2026')

  // Sign-out ends REST and sockets.
  const panel2 = await open('/agent', afterReset)
  t.equal(panel2.result, 'connected', 'a new panel socket')
  const closing2 = closedWithin(panel2.s, 3000)
  t.equal((await inject('POST', '/v1/auth/logout', afterReset)).statusCode, 204, 'the agent signs out')
  t.ok((await closing2) < 3000, 'the socket closes')
  t.equal((await inject('GET', '/v1/agents/me/state', afterReset)).statusCode, 401, 'the token is void')

  // Recovery runs the same checks: a socket away while its token was revoked does not resume.
  const again = await tokenFor(hotline, 'ACC1', 'Green-Valley-2026')
  const blip = async (s: Socket) => {
    const dropped = new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)))
    s.io.engine.close()
    return dropped
  }
  const reconnect = (s: Socket) => new Promise<string>((resolve) => {
    s.once('connect', () => resolve(`connected (recovered: ${s.recovered})`))
    s.once('connect_error', (err) => resolve(err.message))
    s.connect()
  })
  // Recovery resumes from the last pushed event: push one to the panel (any server event does).
  const pushed = async (s: Socket) => {
    const got = new Promise((resolve) => s.once('call:rejoined' as never, resolve))
    hotline.io.of('/agent').to('user:ACC1').emit('call:rejoined', { callId: '00000000-0000-4000-8000-000000000001' })
    await got
  }
  const panel3 = await open('/agent', again)
  t.equal(panel3.result, 'connected', 'a panel socket again')
  await pushed(panel3.s)
  t.ok(await blip(panel3.s), 'its connection drops: the session is kept for recovery')
  t.equal((await inject('POST', '/v1/auth/logout', again)).statusCode, 204, 'meanwhile the token is revoked')
  const resumed = await reconnect(panel3.s)
  t.match(resumed, /revoked/, `the panel cannot resume its session (${resumed})`)

  // The audit log has each step.
  const actions = (await hotline.sql<{ action: string }[]>`select distinct action from audit_log where target = 'ACC1'`).map((r) => r.action)
  for (const a of ['user.disable', 'user.enable', 'auth.password-change', 'user.reset-password', 'auth.logout']) t.ok(actions.includes(a), `audited: ${a}`)
})

t.test('sockets: no anonymous default namespace, tokens expire on open sockets, rate limit, small messages', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_SOCKET_COMMANDS_PER_S: '5' })
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await createAgent(hotline, admin, 'ACC2')
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.disconnect() })
  const open = async (ns: string, auth: object) => {
    const s = connect(`${address}${ns}`, { auth, transports: ['websocket'], reconnection: false, timeout: 3000 })
    sockets.push(s)
    const result = await new Promise<string>((resolve) => { s.on('connect', () => resolve('connected')); s.on('connect_error', (err) => resolve(err.message)) })
    return { s, result }
  }
  t.match((await open('/', {})).result, /HOTLINE_AUTH_FORBIDDEN/, 'the default namespace refuses an anonymous socket')
  t.match((await open('/', { token: admin })).result, /HOTLINE_AUTH_FORBIDDEN/, 'and everyone else')
  t.match((await open('/agent', {})).result, /HOTLINE_AUTH_UNAUTHORIZED/, '/agent refuses an anonymous socket')

  // A real token of this server that expires in 2 s: the open socket closes when it does.
  const short = hotline.app.jwt.sign({ sub: 'ACC2', role: 'agent', name: 'x', iatMs: Date.now() }, { expiresIn: 2 })
  const expiring = await open('/agent', { token: short })
  t.equal(expiring.result, 'connected', 'a socket with a short token connects')
  const closedAt = await waitFor('the socket with the expired token to close', async () => !expiring.s.connected && Date.now(), 5000)
  t.ok(closedAt, 'it is closed when the token expires')

  const panel = await open('/agent', { token: agent })
  const acks = await Promise.all(Array.from({ length: 30 }, () => panel.s.timeout(3000).emitWithAck('agent:get-state') as Promise<{ ok: boolean; error?: { code: string } }>))
  const limited = acks.filter((a) => a.error?.code === 'HOTLINE_RATE_LIMITED').length
  t.ok(acks.filter((a) => a.ok).length >= 5 && acks.filter((a) => a.ok).length <= 12, `a burst is served up to the limit (${acks.filter((a) => a.ok).length} of 30)`)
  t.ok(limited >= 15, `the rest is refused with HOTLINE_RATE_LIMITED (${limited})`)

  await new Promise((r) => setTimeout(r, 1500))
  const closed = new Promise<string>((resolve) => panel.s.once('disconnect', (reason) => resolve(reason)))
  panel.s.emit('agent:not-ready', { reason: 'x'.repeat(100_000) })
  t.equal(await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open'), 3000))]), 'transport close', 'a 100 kB message closes the connection')
})
