/**
 * The call-control lease's arithmetic and the shape of a forwarded failure (pure: the lease's
 * Redis side is exercised by test/integration/cluster/takeover.test.ts).
 */
import t from 'tap'
import { LEASE_TRUST_FRACTION, loadConfig, leaseSettingsProblem } from '../../../src/config.ts'
import { trustedUntil } from '../../../src/cluster/lease.ts'
import { ForwardedError, NoHolderError } from '../../../src/cluster/node.ts'
import { describeError } from '../../../src/http/errors.ts'

const base = {
  DATABASE_URL: 'postgres://u@localhost/db', REDIS_URL: 'redis://localhost', HOTLINE_ARI_URL: 'http://localhost:8088',
  HOTLINE_ARI_USER: 'u', HOTLINE_ARI_PASSWORD: 'p', HOTLINE_JWT_SECRET: 'x'.repeat(32), HOTLINE_SEAT_SECRET: 'y'.repeat(16)
}

t.test('a holder stops trusting its lease before Redis can give it to another node', async (t) => {
  const ttl = 1200
  const sentAt = 10_000
  const until = trustedUntil(sentAt, ttl)
  t.ok(until < sentAt + ttl, 'trust ends before the key can expire (ttl counted from when Redis got the renewal, after it was sent)')
  t.equal(until, sentAt + Math.floor(ttl * LEASE_TRUST_FRACTION))
})

t.test('renewal period and ttl are checked together at start', async (t) => {
  t.equal(leaseSettingsProblem({ ttlMs: 1200, renewMs: 200 }), null, 'the defaults leave more than three renewals per trusted period')
  t.match(leaseSettingsProblem({ ttlMs: 1200, renewMs: 400 }), /HOTLINE_LEASE_RENEW_MS \(400\)/)
  const config = loadConfig(base)
  t.same([config.HOTLINE_LEASE_TTL_MS, config.HOTLINE_LEASE_RENEW_MS, config.HOTLINE_NODE_ID], [1200, 200, undefined], 'defaults')
  t.throws(() => loadConfig({ ...base, HOTLINE_LEASE_RENEW_MS: '1000' }), /HOTLINE_LEASE_RENEW_MS/)
  t.throws(() => loadConfig({ ...base, HOTLINE_NODE_ID: 'has space' }), /HOTLINE_NODE_ID/)
})

t.test('a command forwarded to the holder fails the same way as where it ran', async (t) => {
  const original = { status: 409, body: { code: 'HOTLINE_CALLS_NO_CALL', message: 'agent A1 has no call', details: { agentId: 'A1' } } }
  const crossed = describeError(new ForwardedError(original.status, original.body))
  t.same({ status: crossed.status, body: crossed.body }, original, 'same status, code, message and details')
  const internal = describeError(new ForwardedError(500, { code: 'HOTLINE_INTERNAL', message: 'Internal Server Error' }))
  t.same([internal.status, internal.body.code, internal.internal], [500, 'HOTLINE_INTERNAL', true], 'an internal failure stays internal')
  t.equal(describeError(new NoHolderError('x')).status, 503, 'no holder during the whole wait: 503, try again')
})
