/**
 * Brute force on the login (finding 3): an attacker guessing one account's password is locked
 * out after a few tries (from any address), guessing from one address is throttled whatever the
 * user ids, every attempt is in the audit log, and a burst of logins never runs more password
 * hashes at once than configured, so the rest of the server keeps answering.
 */
import t from 'tap'
import { hashingStats } from '../../../src/auth/passwords.ts'
import { ADMIN_PASSWORD, createAgent, startHotline, tokenFor } from '../../helpers/hotline.ts'

t.test('a guessed account is locked out, then free again; others are not affected', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_LOGIN_MAX_FAILURES: '5', HOTLINE_LOGIN_LOCKOUT_S: '3', HOTLINE_LOGIN_RATE_PER_MIN: '1000' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  await createAgent(hotline, admin, 'BF1')
  await createAgent(hotline, admin, 'BF2')
  // The audit log outlives test runs: only what happens from here on counts.
  const [mark] = await hotline.sql<{ id: string }[]>`select coalesce(max(id), 0)::text as id from audit_log`
  const login = (username: string, password: string, from: string) =>
    hotline.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username, password }, remoteAddress: from })

  // Each guess from another address: only the account counter can stop this.
  for (let i = 1; i <= 5; i++) {
    const res = await login('BF1', `guess-${i}`, `203.0.113.${i}`)
    t.equal(res.statusCode, 401, `guess ${i}: wrong password`)
  }
  const right = await login('BF1', 'BF1-password', '203.0.113.50')
  t.equal(right.statusCode, 429, 'after 5 failures even the right password is refused')
  t.match(right.json(), { code: 'HOTLINE_AUTH_LOCKED', message: /locked, try again in \d+ s/ }, 'the reply says the id is locked and for how long')
  t.ok(Number(right.headers['retry-after']) >= 1, 'with Retry-After')
  t.equal((await login('BF2', 'BF2-password', '203.0.113.1')).statusCode, 200, 'another account logs in from the guessing address')

  await new Promise((r) => setTimeout(r, 3200))
  t.equal((await login('BF1', 'BF1-password', '203.0.113.50')).statusCode, 200, 'after the lockout the right password works')
  t.equal((await login('BF1', 'guess-again', '203.0.113.51')).statusCode, 401, 'a success cleared the count: one wrong guess is just a 401')
  t.equal((await login('BF1', 'BF1-password', '203.0.113.50')).statusCode, 200, 'and does not lock')

  const rows = await hotline.sql<{ outcome: string; ip: string; details: { reason?: string } }[]>`
    select outcome, ip, details from audit_log where action = 'auth.login' and actor = 'BF1' and id > ${mark!.id}::bigint order by id`
  t.same(rows.map((r) => r.outcome), ['failure', 'failure', 'failure', 'failure', 'failure', 'denied', 'success', 'failure', 'success'], 'every attempt is audited, the locked one as denied')
  t.same(rows.slice(0, 5).map((r) => r.ip), ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'], 'with the address of each')
  t.equal((await hotline.sql`select 1 from audit_log where action = 'auth.lockout' and target = 'BF1' and id > ${mark!.id}::bigint`).length, 1, 'the lockout itself is audited')
})

t.test('one address is throttled whatever user ids it tries', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_LOGIN_RATE_PER_MIN: '10' })
  const statuses: number[] = []
  for (let i = 0; i < 12; i++) {
    const res = await hotline.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username: `spray-${i}`, password: 'Winter2026!' }, remoteAddress: '192.0.2.9' })
    statuses.push(res.statusCode)
    if (i === 11) t.match(res.json(), { code: 'HOTLINE_AUTH_RATE_LIMITED', message: /from this address/ }, 'the reply says why')
  }
  t.same(statuses, [...Array(10).fill(401), 429, 429], 'ten tries a minute, then 429')
  const other = await hotline.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username: 'admin', password: ADMIN_PASSWORD }, remoteAddress: '192.0.2.10' })
  t.equal(other.statusCode, 200, 'another address is not affected')
  const limited = await hotline.sql`select 1 from audit_log where action = 'auth.login' and outcome = 'denied' and ip = '192.0.2.9' and details->>'reason' = 'rate limited (address)'`
  t.ok(limited.length >= 2, 'throttled attempts are audited')
})

t.test('a burst of logins hashes a bounded number of passwords at once; the server keeps answering', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_PASSWORD_HASH_CONCURRENCY: '2', HOTLINE_LOGIN_RATE_PER_MIN: '1000', HOTLINE_LOGIN_MAX_FAILURES: '100' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  await createAgent(hotline, admin, 'BF3')
  const before = hashingStats().peak
  const started = Date.now()
  const burst = Array.from({ length: 60 }, (_, i) => hotline.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username: 'BF3', password: `wrong-${i}` }, remoteAddress: `198.18.0.${i + 1}` }))
  // Meanwhile the agent panel's files (read from disk through the same thread pool) and /health.
  const probes: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now()
    const page = await hotline.app.inject({ method: 'GET', url: '/softphone/' })
    t.equal(page.statusCode, 200, `the panel page is served during the burst (${i + 1})`)
    probes.push(Date.now() - t0)
  }
  const results = await Promise.all(burst)
  const took = Date.now() - started
  t.ok(results.every((r) => r.statusCode === 401), 'every guess answered 401')
  t.ok(hashingStats().peak <= 2 && before <= 2, `never more than 2 hashes at once (peak ${hashingStats().peak})`)
  t.ok(Math.max(...probes) < took, `pages answered within the burst (slowest ${Math.max(...probes)} ms, burst ${took} ms)`)
  t.comment(`60 logins in ${took} ms; panel page during the burst: ${probes.join(', ')} ms`)
})
