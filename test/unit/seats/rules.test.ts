import t from 'tap'
import type { SeatAssignment } from '../../../src/seats/model.ts'
import { decideSignIn, normalizeAddress, seatIds, seatKinds } from '../../../src/seats/rules.ts'

const at = new Date('2026-12-01T08:00:00Z')
const toAgent = (agentId: string): SeatAssignment => ({ seat: 's', agentId, workstation: null, updatedBy: 'admin', updatedAt: at })
const toWorkstation = (workstation: string): SeatAssignment => ({ seat: 's', agentId: null, workstation, updatedBy: 'admin', updatedAt: at })

t.test('seat kinds come from the rendered lists only', async (t) => {
  const kind = seatKinds('1001-1040,0007-0009', '8001-8020,web-x')
  t.equal(kind('1001'), 'desk')
  t.equal(kind('1040'), 'desk')
  t.equal(kind('8020'), 'web')
  t.equal(kind('web-x'), 'web')
  t.equal(kind('0008'), 'desk', 'ranges keep the width of their first id')
  t.equal(kind('8'), null, '… so 8 is not 0008')
  for (const other of ['trunk', '1041', '8021', '01001', '', 'anonymous']) t.equal(kind(other), null, `'${other}' is not a seat`)
  t.same(seatIds('1001-1003,2001'), ['1001', '1002', '1003', '2001'])
  t.same(seatIds('8-11'), ['8', '9', '10', '11'])
})

t.test('who may sign in to which seat', async (t) => {
  const cases: [string, Parameters<typeof decideSignIn>[0], ReturnType<typeof decideSignIn>][] = [
    ['own seat', { kind: 'web', assignment: toAgent('A1'), agentId: 'A1', address: '10.0.0.5' }, { ok: true, kind: 'web' }],
    ['own seat, signed in by a supervisor', { kind: 'desk', assignment: toAgent('A1'), agentId: 'A1', address: null }, { ok: true, kind: 'desk' }],
    ['not a seat (the trunk)', { kind: null, assignment: null, agentId: 'A1', address: '10.0.0.5' }, { ok: false, reason: 'not-a-seat' }],
    ['unassigned seat', { kind: 'desk', assignment: null, agentId: 'A1', address: '10.0.0.5' }, { ok: false, reason: 'unassigned' }],
    ["another agent's seat", { kind: 'desk', assignment: toAgent('A2'), agentId: 'A1', address: '10.0.0.5' }, { ok: false, reason: 'assigned-to-another' }],
    ["a supervisor's phone", { kind: 'desk', assignment: toAgent('SUP1'), agentId: 'A1', address: '10.0.0.5' }, { ok: false, reason: 'assigned-to-another' }],
    ['workstation seat from that workstation', { kind: 'web', assignment: toWorkstation('10.0.0.5'), agentId: 'A1', address: '::ffff:10.0.0.5' }, { ok: true, kind: 'web' }],
    ['workstation seat from elsewhere', { kind: 'web', assignment: toWorkstation('10.0.0.5'), agentId: 'A1', address: '10.0.0.6' }, { ok: false, reason: 'other-workstation' }],
    ['workstation seat, address unknown (someone else asking)', { kind: 'web', assignment: toWorkstation('10.0.0.5'), agentId: 'A1', address: null }, { ok: false, reason: 'other-workstation' }]
  ]
  for (const [name, input, expected] of cases) t.same(decideSignIn(input), expected, name)
})

t.test('addresses compare as the same workstation across IPv4-mapped IPv6', async (t) => {
  t.equal(normalizeAddress('::FFFF:192.168.1.20'), '192.168.1.20')
  t.equal(normalizeAddress('192.168.1.20'), '192.168.1.20')
  t.equal(normalizeAddress('fe80::1'), 'fe80::1')
})
