/**
 * Sessions (findings 4 and 2), as an attacker holding a copied token would try:
 * - an access token lives HOTLINE_ACCESS_TOKEN_TTL_S only; the refresh token renews the session;
 * - a refresh token works once: replaying a spent one ends the whole session (its newer refresh
 *   token, its access token and its sockets);
 * - sign-out, disable, password change and role change end refresh tokens too, and close sockets
 *   of every namespace (the /unit one included) and on another node;
 * - the generated first administrator's password must be changed before anything else;
 * - password rules hold on user creation;
 * - a socket lives past its token's expiry only when the page renews it (auth:renew) with a
 *   token of the same user.
 */
import t from 'tap'
import { io as connect, type Socket } from 'socket.io-client'
import { createHotline } from '../../../src/app.ts'
import { testConfig } from '../../helpers/services.ts'
import { ADMIN_PASSWORD, agentCommand, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'

interface Issued { token: string; refreshToken: string; expiresIn: number; refreshExpiresIn: number; passwordChangeRequired: boolean; user: { id: string; role: string } }

const TTL = 10

t.test('short access tokens, rotating refresh tokens, revocation of sessions', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_ACCESS_TOKEN_TTL_S: String(TTL) })
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const inject = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
    hotline.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  const login = async (username: string, password: string) => {
    const res = await inject('POST', '/v1/auth/token', undefined, { username, password })
    if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`)
    return res.json() as Issued
  }
  const refresh = (refreshToken: string) => inject('POST', '/v1/auth/refresh', undefined, { refreshToken })
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.disconnect() })
  const open = async (ns: string, token: string, base = address) => {
    const s = connect(`${base}${ns}`, { auth: { token }, transports: ['websocket'], reconnection: false, timeout: 3000 })
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

  // The administrator's own tokens last TTL seconds too: a fresh one for each step.
  const asAdmin = () => tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  await createAgent(hotline, await asAdmin(), 'SES1', { seat: '8010' })

  // Login: the old fields stay, the new ones are there.
  const first = await login('SES1', 'SES1-password')
  t.match(first, { token: String, refreshToken: String, expiresIn: TTL, passwordChangeRequired: false, user: { id: 'SES1', role: 'agent' } }, 'login returns an access token, its lifetime and a refresh token')
  t.ok(first.refreshExpiresIn > 40000, `the session lasts a shift and more (${first.refreshExpiresIn} s)`)
  const [stored] = await hotline.sql<{ tokenHash: string }[]>`select token_hash from refresh_tokens where user_id = 'SES1'`
  t.ok(stored && stored.tokenHash !== first.refreshToken && !stored.tokenHash.includes(first.refreshToken), 'the server keeps only a hash of the refresh token')

  // Rotation: the refresh gives a working pair; the spent token replayed ends the session.
  const second = await refresh(first.refreshToken)
  t.equal(second.statusCode, 200, 'the refresh token buys a new pair')
  const pair2 = second.json() as Issued
  t.not(pair2.refreshToken, first.refreshToken, 'with a new refresh token')
  t.equal((await inject('GET', '/v1/agents/me/state', pair2.token)).statusCode, 200, 'the new access token works')
  const panel = await open('/agent', pair2.token)
  t.equal(panel.result, 'connected', 'a panel socket on the new token')
  const closing = closedWithin(panel.s, 3000)
  const replay = await refresh(first.refreshToken)
  t.equal(replay.statusCode, 401, 'a spent refresh token replayed (a stolen copy) is refused')
  t.match(replay.json(), { code: 'HOTLINE_AUTH_REFRESH_INVALID', message: /already used/ }, 'saying why')
  t.ok((await closing) < 3000, "and the session's sockets close")
  t.equal((await refresh(pair2.refreshToken)).statusCode, 401, "the session's newer refresh token is void too")
  t.equal((await inject('GET', '/v1/agents/me/state', pair2.token)).statusCode, 401, "and so is the session's access token")
  const [reuse] = await hotline.sql<{ outcome: string }[]>`select outcome from audit_log where action = 'auth.refresh-reuse' and actor = 'SES1'`
  t.equal(reuse?.outcome, 'denied', 'the replay is audited')
  t.equal((await refresh('not-a-token-of-ours')).statusCode, 401, 'an unknown refresh token is refused')

  // Expiry: the access token alone dies after its lifetime; a refresh keeps the session going.
  const third = await login('SES1', 'SES1-password')
  await new Promise((r) => setTimeout(r, (TTL + 1) * 1000))
  const expired = await inject('GET', '/v1/agents/me/state', third.token)
  t.equal(expired.statusCode, 401, `an access token is refused after ${TTL} s`)
  const renewed = await refresh(third.refreshToken)
  t.equal(renewed.statusCode, 200, 'the refresh token still renews the session after the access token expired')
  let current = renewed.json() as Issued

  // Sign-out ends refresh tokens too.
  t.equal((await inject('POST', '/v1/auth/logout', current.token)).statusCode, 204, 'the agent signs out')
  t.equal((await refresh(current.refreshToken)).statusCode, 401, 'the refresh token is void after sign-out')

  // Disable ends refresh tokens.
  current = await login('SES1', 'SES1-password')
  await agentCommand(hotline, current.token, 'me', 'sign-in', { seat: '8010' })
  t.equal((await inject('POST', '/v1/users/SES1/disable', await asAdmin())).statusCode, 204, 'disabled')
  t.equal((await hotline.agents.get('SES1')).state, 'signed-out', 'a disabled agent is signed out of its seat (no more calls offered)')
  t.equal((await refresh(current.refreshToken)).statusCode, 401, 'a disabled user cannot refresh')
  t.equal((await inject('POST', '/v1/users/SES1/enable', await asAdmin())).statusCode, 204, 'enabled again')

  // Password change ends the other sessions' refresh tokens.
  const other = await login('SES1', 'SES1-password')
  current = await login('SES1', 'SES1-password')
  const changed = await inject('POST', '/v1/auth/password', current.token, { currentPassword: 'SES1-password', newPassword: 'Quiet-River-2026' })
  t.equal(changed.statusCode, 200, 'the password is changed')
  t.equal((await refresh(other.refreshToken)).statusCode, 401, "another session's refresh token ends with the change")
  const afterChange = changed.json() as Issued
  t.equal((await refresh(afterChange.refreshToken)).statusCode, 200, 'the session returned with the change refreshes')

  // Role change: administrators only, audited; tokens, refresh tokens and sockets end.
  const sup = await login('SES1', 'Quiet-River-2026')
  await agentCommand(hotline, sup.token, 'me', 'sign-in', { seat: '8010' })
  const agentSocket = await open('/agent', sup.token)
  t.equal(agentSocket.result, 'connected', 'the agent has a panel socket')
  t.equal((await inject('POST', '/v1/users/SES1/role', sup.token, { role: 'supervisor' })).statusCode, 403, 'an agent cannot change roles')
  t.equal((await inject('POST', '/v1/users/admin/role', await asAdmin(), { role: 'agent' })).statusCode, 400, 'an administrator cannot change their own role')
  t.equal((await inject('POST', '/v1/users/nobody-such/role', await asAdmin(), { role: 'agent' })).statusCode, 404, 'an unknown user is a 404')
  t.match((await inject('POST', '/v1/users/SES1/role', await asAdmin(), { role: 'unit' })).json(), { code: 'HOTLINE_USERS_BAD_UNIT' }, "role 'unit' needs a unit")
  const roleClosing = closedWithin(agentSocket.s, 3000)
  t.equal((await inject('POST', '/v1/users/SES1/role', await asAdmin(), { role: 'supervisor' })).statusCode, 204, 'the administrator makes the agent a supervisor')
  t.ok((await roleClosing) < 3000, "the user's sockets close at once")
  t.equal((await hotline.agents.get('SES1')).state, 'signed-out', 'the agent was signed out of its seat first')
  t.equal((await inject('GET', '/v1/agents/me/state', sup.token)).statusCode, 401, 'the token with the old role is void')
  t.equal((await refresh(sup.refreshToken)).statusCode, 401, 'so is its refresh token')
  const promoted = await login('SES1', 'Quiet-River-2026')
  t.equal(promoted.user.role, 'supervisor', 'the next login carries the new role')
  t.equal((await inject('GET', '/v1/queues', promoted.token)).statusCode, 200, 'and works')
  const [roleAudit] = await hotline.sql<{ details: { from: string; to: string } }[]>`select details from audit_log where action = 'user.role-change' and target = 'SES1' and outcome = 'success'`
  t.match(roleAudit?.details, { from: 'agent', to: 'supervisor' }, 'the role change is audited with both roles')

  // Password rules on creation.
  const weak = await inject('POST', '/v1/users', await asAdmin(), { id: 'SES2', displayName: 'x', role: 'agent', password: 'alllowercase' })
  t.equal(weak.statusCode, 400, 'a weak password is refused at creation')
  t.match(weak.json(), { code: 'HOTLINE_USERS_WEAK_PASSWORD', message: /body\.password: must mix/ }, 'with the rule it breaks')
  t.match((await inject('POST', '/v1/users', await asAdmin(), { id: 'Zhang.San-2026', displayName: 'x', role: 'agent', password: 'zhang.san-2026' })).json(), { message: /must not be the user id/ }, 'the user id as password is refused')
  t.match((await inject('POST', '/v1/users', await asAdmin(), { id: 'SES2', displayName: 'x', role: 'agent', password: 'Sh0rt!' })).json(), { message: /at least 10 characters/ }, 'a short one too')
})

t.test('a socket outlives its access token only when renewed, by the same user', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_ACCESS_TOKEN_TTL_S: String(TTL) })
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await createAgent(hotline, admin, 'SES3')
  const otherAgent = await createAgent(hotline, admin, 'SES4')
  const s = connect(`${address}/agent`, { auth: { token: agent }, transports: ['websocket'], reconnection: false })
  const plain = connect(`${address}/agent`, { auth: { token: agent }, transports: ['websocket'], reconnection: false })
  t.teardown(() => { s.disconnect(); plain.disconnect() })
  await waitFor('both sockets', async () => s.connected && plain.connected, 5000)
  const renew = (token: string) => s.timeout(3000).emitWithAck('auth:renew', { token }) as Promise<{ ok: boolean; error?: { code: string } }>
  t.match(await renew(otherAgent), { ok: false, error: { code: 'HOTLINE_AUTH_FORBIDDEN' } }, "another user's token cannot take over the socket")
  t.match(await renew('garbage'), { ok: false, error: { code: 'HOTLINE_AUTH_UNAUTHORIZED' } }, 'nor an invalid one')
  // Renew halfway through the lifetime, with a token from a fresh login of the same user.
  await new Promise((r) => setTimeout(r, (TTL / 2) * 1000))
  const fresh = await tokenFor(hotline, 'SES3', 'SES3-password')
  t.match(await renew(fresh), { ok: true, data: { expiresAt: String } }, 'the same user renews the socket')
  await new Promise((r) => setTimeout(r, (TTL / 2 + 1.5) * 1000))
  t.notOk(plain.connected, 'the socket that was not renewed closed when its token expired')
  t.ok(s.connected, 'the renewed socket lives past the first token')
  const ack = await s.timeout(3000).emitWithAck('agent:get-state') as { ok: boolean }
  t.ok(ack.ok, 'and runs commands')
})

t.test('the generated first administrator password must be changed first', async (t) => {
  const hotline = await startHotline(t)
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const inject = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
    hotline.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  const res = await inject('POST', '/v1/auth/token', undefined, { username: 'admin', password: ADMIN_PASSWORD })
  t.equal(res.statusCode, 200, 'the first administrator logs in with the generated password')
  const pending = res.json() as Issued
  t.equal(pending.passwordChangeRequired, true, 'the login says the password must be changed')
  const refused = await inject('GET', '/v1/users', pending.token)
  t.equal(refused.statusCode, 403, 'the token admits nothing else')
  t.match(refused.json(), { code: 'HOTLINE_AUTH_PASSWORD_CHANGE_REQUIRED' }, 'with its own error code')
  t.equal((await inject('POST', '/v1/users', pending.token, { id: 'X9', displayName: 'x', role: 'admin', password: 'Backdoor-2026!' })).statusCode, 403, 'not even creating another administrator')
  const refreshed = await inject('POST', '/v1/auth/refresh', undefined, { refreshToken: pending.refreshToken })
  t.equal((refreshed.json() as Issued).passwordChangeRequired, true, 'a refresh does not lift it')
  t.equal((await inject('GET', '/v1/users', (refreshed.json() as Issued).token)).statusCode, 403, 'the refreshed token is just as limited')
  const s = connect(`${address}/supervisor`, { auth: { token: pending.token }, transports: ['websocket'], reconnection: false })
  t.teardown(() => s.disconnect())
  t.match(await new Promise<string>((resolve) => { s.on('connect', () => resolve('connected')); s.on('connect_error', (err) => resolve(err.message)) }), /HOTLINE_AUTH_PASSWORD_CHANGE_REQUIRED/, 'nor a socket')
  const weak = await inject('POST', '/v1/auth/password', pending.token, { currentPassword: ADMIN_PASSWORD, newPassword: 'admin' })
  t.match(weak.json(), { code: 'HOTLINE_USERS_WEAK_PASSWORD' }, 'the new password follows the rules')
  const changed = await inject('POST', '/v1/auth/password', pending.token, { currentPassword: ADMIN_PASSWORD, newPassword: 'Night-Shift-2026' })
  t.equal(changed.statusCode, 200, 'the administrator changes it')
  const done = changed.json() as Issued
  t.equal(done.passwordChangeRequired, false, 'the new session is a full one')
  t.equal((await inject('GET', '/v1/users', done.token)).statusCode, 200, 'and administers')
  t.equal((await inject('GET', '/v1/users', pending.token)).statusCode, 401, 'the limited token is void')
  t.equal((await inject('POST', '/v1/auth/token', undefined, { username: 'admin', password: ADMIN_PASSWORD })).statusCode, 401, 'the generated password no longer logs in')
  const next = await inject('POST', '/v1/auth/token', undefined, { username: 'admin', password: 'Night-Shift-2026' })
  t.equal((next.json() as Issued).passwordChangeRequired, false, 'later logins are not asked again')
  const [row] = await hotline.sql<{ details: { firstChange?: boolean } }[]>`select details from audit_log where action = 'auth.password-change' and target = 'admin' and outcome = 'success'`
  t.equal(row?.details.firstChange, true, 'the first change is audited as such')
})

t.test('sign-out closes /unit sockets, and sockets on another node', async (t) => {
  const hotline = await startHotline(t)
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  // A second node on the same PostgreSQL and Redis (its own Stasis app name, so the two do not replace each other).
  const nodeB = await createHotline(testConfig({ HOTLINE_ARI_APP: 'hotline-test-sessions-b' }))
  t.teardown(() => nodeB.close())
  await nodeB.start({ waitForPbx: false })
  const addressB = await nodeB.app.listen({ host: '127.0.0.1', port: 0 })
  const inject = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
    hotline.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  t.ok([201, 409].includes((await inject('POST', '/v1/units', admin, { id: 'ses-unit', name: '会话单位', kind: 'department' })).statusCode), 'a unit')
  t.equal((await inject('POST', '/v1/users', admin, { id: 'ses-u1', displayName: '经办人', role: 'unit', password: 'Unit-Desk-2026', unitId: 'ses-unit' })).statusCode, 201, 'a unit user')
  const unit = await tokenFor(hotline, 'ses-u1', 'Unit-Desk-2026')
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.disconnect() })
  const open = async (base: string, ns: string, token: string) => {
    const s = connect(`${base}${ns}`, { auth: { token }, transports: ['websocket'], reconnection: false, timeout: 3000 })
    sockets.push(s)
    return { s, result: await new Promise<string>((resolve) => { s.on('connect', () => resolve('connected')); s.on('connect_error', (err) => resolve(err.message)) }) }
  }
  const here = await open(address, '/unit', unit)
  const there = await open(addressB, '/unit', unit)
  t.equal(here.result, 'connected', 'the unit page connects to node A')
  t.equal(there.result, 'connected', 'and to node B')
  const renewAck = await here.s.timeout(3000).emitWithAck('auth:renew', { token: unit }) as { ok: boolean }
  t.ok(renewAck.ok, '/unit takes auth:renew like every namespace')
  const t0 = Date.now()
  const gone = Promise.all([here.s, there.s].map((s) => new Promise<number>((resolve) => s.once('disconnect', () => resolve(Date.now() - t0)))))
  t.equal((await inject('POST', '/v1/auth/logout', unit)).statusCode, 204, 'the unit user signs out on node A')
  const [a, b] = await Promise.race([gone, new Promise<number[]>((resolve) => setTimeout(() => resolve([-1, -1]), 4000))])
  t.ok(a! >= 0 && a! < 3000, `the /unit socket on node A closes (${a} ms)`)
  t.ok(b! >= 0 && b! < 3000, `the /unit socket on node B closes too (${b} ms)`)
  t.match((await open(addressB, '/unit', unit)).result, /revoked/, 'and node B refuses the token afterwards')
})
