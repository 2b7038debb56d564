/** Which seats the agent panel offers: pure rule, plain data (no services). */
import t from 'tap'
import { offeredSeats } from '../../../src/softphone/rules.ts'
import type { SeatView } from '../../../src/seats/model.ts'

const seat = (id: string, kind: 'desk' | 'web', agentId: string | null, workstation: string | null = null): SeatView =>
  ({ seat: id, kind, agentId, workstation, updatedBy: 'admin', updatedAt: '2026-12-01T00:00:00.000Z' })

const seats = [
  seat('1001', 'desk', 'A1'),          // a desk phone assigned to A1: never offered in the browser
  seat('8001', 'web', 'A1'),
  seat('8002', 'web', 'A1'),
  seat('8003', 'web', 'B2'),           // another agent's
  seat('8004', 'web', null, '10.0.0.7'), // the workstation's
  seat('8005', 'web', null)            // unassigned
]

t.test('only WebRTC seats this agent may sign in to, free or taken', async (t) => {
  const out = offeredSeats(seats, [{ agentId: 'C3', seat: '8002' }, { agentId: 'A1', seat: '8001' }], 'A1', '10.0.0.9')
  t.same(out, [
    { seat: '8001', free: true, via: 'agent' },   // A1's own sign-in: still A1's to take
    { seat: '8002', free: false, via: 'agent' }   // someone else is signed in to it
  ])
})

t.test('a workstation seat is offered on that workstation only', async (t) => {
  t.same(offeredSeats(seats, [], 'A1', '::ffff:10.0.0.7').map((s) => [s.seat, s.via]), [['8001', 'agent'], ['8002', 'agent'], ['8004', 'workstation']])
  t.same(offeredSeats(seats, [], 'D4', '10.0.0.8'), [], 'an agent with no seat of their own elsewhere is offered none')
})
