/**
 * Seat credential harvest and registration hijack, tried as an attacker with an agent's account
 * would, against the real PBX: an agent may sign in only to a seat an administrator assigned to
 * them (never `trunk`, a supervisor's phone, another agent's seat or an unassigned one); a WebRTC
 * seat's SIP password is issued per sign-in and stops registering at sign-out (SIPp REGISTER with
 * digest auth); a desk phone's password is never handed out, and even a known one does not
 * register from outside the seats' address ACL (HOTLINE_SEAT_PERMIT, 127.0.0.1/32 here).
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { ADMIN_PASSWORD, assignSeat, createAgent, startHotline, tokenFor } from '../../helpers/hotline.ts'
import { injectionFile, PBX_SIP, renderScenario, startSipp } from '../../helpers/sipp.ts'

/** One SIPp REGISTER with digest auth from `fromIp`; true when Asterisk answered 200. */
async function registers(seat: string, password: string, fromIp = '127.0.0.1', port = 5301): Promise<boolean> {
  const scenario = renderScenario('uac-seat-register.xml', { CONTACT_HOST_PORT: `${fromIp}:${port}`, EXPIRES: 60 })
  const csv = injectionFile([[seat, password, `[authentication username=${seat} password=${password}]`]])
  const run = await startSipp([PBX_SIP, '-sf', scenario, '-inf', csv, '-i', fromIp, '-p', String(port), '-m', '1', '-l', '1', '-recv_timeout', '4000'], 10).done
  return run.code === 0
}

t.test('sign-in only to an assigned seat; a web seat password lives for one sign-in; desk passwords never leave the server', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  // The audit log is append-only (earlier runs' rows stay): look at this run's rows only.
  const since = (await hotline.sql<{ since: string }[]>`select coalesce(max(id), 0)::text as since from audit_log`)[0]!.since
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const alice = await createAgent(hotline, admin, 'SA1', { seat: '8011' })
  const bob = await createAgent(hotline, admin, 'SB1', { seat: '1011' })
  await createAgent(hotline, admin, 'SS1', { role: 'supervisor', seat: '1039' })
  const as = (token: string) => ({ authorization: `Bearer ${token}` })
  const call = (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    hotline.app.inject({ method, url, headers: as(token), ...(payload ? { payload } : {}) })
  const signIn = (token: string, seat: string) => call(token, 'POST', '/v1/agents/me/sign-in', { seat })

  // The seat list and its assignment are the administrators'.
  t.equal((await call(alice, 'PUT', '/v1/seats/8012', { agentId: 'SA1' })).statusCode, 403, 'an agent cannot assign a seat to themself')
  const trunkAssign = await call(admin, 'PUT', '/v1/seats/trunk', { agentId: 'SA1' })
  t.equal(trunkAssign.statusCode, 404, `the trunk is not a seat, even for an administrator (${trunkAssign.json().message})`)
  t.equal((await call(admin, 'PUT', '/v1/seats/8012', { agentId: 'SA1', workstation: '127.0.0.1' })).statusCode, 400, 'one assignment at a time')
  const listed = (await call(admin, 'GET', '/v1/seats')).json() as { seat: string; kind: string; agentId: string | null }[]
  t.match(listed.find((s) => s.seat === '8011'), { kind: 'web', agentId: 'SA1' }, 'the list shows the web seat and its agent')
  t.match(listed.find((s) => s.seat === '1011'), { kind: 'desk', agentId: 'SB1' }, 'and the desk seat')
  t.notOk(listed.some((s) => s.seat === 'trunk'), 'no trunk in the list')

  // What the attacker tries first: seats that are not theirs.
  const trunk = await signIn(alice, 'trunk')
  t.equal(trunk.statusCode, 404, 'sign-in to the trunk: refused as not a seat')
  t.equal(trunk.json().code, 'HOTLINE_AGENTS_NO_SUCH_SEAT')
  for (const [seat, whose] of [['1011', "another agent's seat"], ['1039', "a supervisor's phone"], ['8012', 'an unassigned seat']] as const) {
    const res = await signIn(alice, seat)
    t.equal(res.statusCode, 403, `sign-in to ${whose} (${seat}) refused: ${res.json().message}`)
    t.equal(res.json().code, 'HOTLINE_SEATS_NOT_ASSIGNED')
  }
  t.equal((await call(bob, 'POST', '/v1/agents/SB1/sign-in', { seat: '8011' })).statusCode, 403, 'nor can another agent take alice\'s seat')
  const [denied] = await hotline.sql<{ n: number }[]>`select count(*)::int as n from audit_log where action = 'seat.sign-in' and outcome = 'denied' and actor = 'SA1' and id > ${since}`
  t.equal(denied!.n, 4, 'each refused sign-in is in the audit log')

  // A web seat nobody is signed in to has no SIP account: not even the old derived password registers.
  t.notOk(await registers('8011', seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '8011')), 'before sign-in the seat does not register')

  // Sign-in issues a password for this sign-in; sign-out withdraws it.
  t.equal((await signIn(alice, '8011')).statusCode, 200, 'alice signs in to her seat')
  const first = (await call(alice, 'GET', '/v1/agents/me/seat-credentials')).json() as { username: string; password: string }
  t.equal(first.username, '8011')
  t.not(first.password, seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '8011'), 'not the derivable password')
  t.same((await call(alice, 'GET', '/v1/agents/me/seat-credentials')).json(), { ...first, seat: '8011', uri: 'sip:8011@127.0.0.1', wsUrl: 'ws://127.0.0.1:8088/ws' }, 'a reloaded panel gets the same one')
  t.ok(await registers('8011', first.password), 'the issued password registers during the sign-in')
  t.equal((await call(bob, 'GET', '/v1/agents/me/seat-credentials')).statusCode, 403, 'an agent not signed in gets no credentials')
  t.equal((await call(alice, 'POST', '/v1/agents/me/sign-out')).statusCode, 200, 'alice signs out')
  t.notOk(await registers('8011', first.password, '127.0.0.1', 5302), 'after sign-out the harvested password no longer registers')

  t.equal((await signIn(alice, '8011')).statusCode, 200, 'signs in again')
  const second = (await call(alice, 'GET', '/v1/agents/me/seat-credentials')).json() as { password: string }
  t.not(second.password, first.password, 'a new sign-in, a new password')
  t.notOk(await registers('8011', first.password, '127.0.0.1', 5303), 'the first one still fails')
  t.ok(await registers('8011', second.password, '127.0.0.1', 5304), 'the new one registers')
  t.equal((await call(alice, 'POST', '/v1/agents/me/sign-out')).statusCode, 200)

  // Desk phones: provisioned by administrators; the API never hands the password out, and the
  // seats' ACL keeps a known password from registering from another address.
  t.equal((await signIn(bob, '1011')).statusCode, 200, 'bob signs in to his desk seat')
  const desk = await call(bob, 'GET', '/v1/agents/me/seat-credentials')
  t.equal(desk.statusCode, 409, 'a desk seat\'s SIP password is not handed out')
  t.equal(desk.json().code, 'HOTLINE_SEATS_DESK_PHONE')
  const deskPassword = seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1011')
  t.notOk(await registers('1011', deskPassword, '127.0.0.9', 5305), 'the right desk password from outside the seat ACL does not register')
  t.ok(await registers('1011', deskPassword, '127.0.0.1', 5306), 'from the permitted address it does')
  t.equal((await call(bob, 'POST', '/v1/agents/me/sign-out')).statusCode, 200)

  // A workstation's seat: whoever signs in from that address (hot desking), nobody else.
  await call(admin, 'PUT', '/v1/seats/8012', { workstation: '127.0.0.1' })
  await call(admin, 'PUT', '/v1/seats/8013', { workstation: '10.9.9.9' })
  t.equal((await signIn(alice, '8013')).statusCode, 403, "another workstation's seat is refused")
  t.equal((await signIn(alice, '8012')).statusCode, 200, "the seat of the workstation alice signs in from is hers to use")
  t.equal((await call(alice, 'POST', '/v1/agents/me/sign-out')).statusCode, 200)

  // Withdrawing an assignment closes the seat.
  t.equal((await call(admin, 'DELETE', '/v1/seats/8011')).statusCode, 204, 'the administrator withdraws seat 8011')
  t.equal((await signIn(alice, '8011')).statusCode, 403, 'alice can no longer sign in to it')
  await assignSeat(hotline, admin, '8011', 'SA1')
  const trail = await hotline.sql<{ action: string; target: string; actor: string }[]>`
    select action, target, actor from audit_log where action in ('seat.assign', 'seat.unassign') and target = '8011' and id > ${since} order by id`
  t.same(trail.map((r) => `${r.action}:${r.actor}`), ['seat.assign:admin', 'seat.unassign:admin', 'seat.assign:admin'], 'every assignment change is audited with who made it')
})
