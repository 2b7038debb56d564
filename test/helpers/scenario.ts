/**
 * Integration tests as scenarios: "an agent on a desk phone", "a citizen calls", "expect the
 * call to be answered by …". Each step is the real thing (REST calls to the server, SIPp peers
 * on the real PBX), named as the hotline would say it, so a test reads as what happens.
 */
import type { Test } from 'tap'
import type { Hotline } from '../../src/app.ts'
import { seatPassword } from '../../src/auth/seat-credentials.ts'
import { agentCommand, createAgent, waitFor } from './hotline.ts'
import { callFromCarrier, registerSeats, startAgentPhone, type SippProcess } from './sipp.ts'

export interface DeskAgent {
  id: string
  seat: string
  token: string
  /** What the sign-in answered (the agent's state: not ready, on the seat). */
  signedIn: { state: string; reason: string | null; seat: string | null }
  /** The SIPp desk phone answering the seat (stopped at the test's teardown). */
  phone: SippProcess
  /** An agent command (sign-in, ready, not-ready, …) as the agent, over REST; fails unless 200. */
  command(name: string, payload?: object): Promise<{ state: string; reason: string | null; seat: string | null }>
}

export interface DeskPhone {
  /** A UAS scenario in test/sipp (uas-agent-answers.xml, uas-agent-never-answers.xml, uas-agent-rejects.xml). */
  scenario?: string
  /** The scenario's variables (RING_MS, TALK_MS, …). */
  vars?: Record<string, string | number>
  maxCalls?: number
  timeoutS?: number
}

/**
 * An agent on a desk phone: the administrator creates the user and assigns the seat, the seat
 * registers from 127.0.0.1:`port` and a SIPp phone answers there, and the agent signs in to it
 * (not ready: call `ready` when the scenario wants the agent to take calls).
 */
export async function agentOnDeskPhone(t: Test, hotline: Hotline, adminToken: string, a: { id: string; seat: string; port: number } & DeskPhone): Promise<DeskAgent> {
  const token = await createAgent(hotline, adminToken, a.id, { seat: a.seat })
  await registerSeats([{ seat: a.seat, password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, a.seat) }], a.port)
  const phone = startAgentPhone(t, a.scenario ?? 'uas-agent-answers.xml', a.port, a.vars ?? {}, a.maxCalls ?? 50, a.timeoutS ?? 120)
  const command = (name: string, payload?: object) => agentCommand(hotline, token, a.id, name, payload)
  const signedIn = await command('sign-in', { seat: a.seat })
  return { id: a.id, seat: a.seat, token, signedIn, phone, command }
}

/**
 * A citizen calls `number` from `caller` through the carrier. The default scenario talks, then
 * waits for the far end to hang up (or hangs up itself after MAX_WAIT_MS).
 */
export function citizenCalls(number: string, caller: string, o: { scenario?: string; vars?: Record<string, string | number>; timeoutS?: number } = {}): SippProcess {
  return callFromCarrier(o.scenario ?? 'uac-caller-talks-then-waits-bye.xml', number, [caller], o.vars ?? { MAX_WAIT_MS: 30000 }, { timeoutS: o.timeoutS ?? 60 })
}

export interface CallRow { id: string; agentId: string | null; seat: string | null; outcome: string | null; offerAttempts: number; answeredAt: Date | null; endedAt: Date | null; [column: string]: unknown }

/** The caller's call once it was answered (its record in PostgreSQL). */
export async function callAnswered(hotline: Hotline, caller: string, ms = 20000): Promise<CallRow> {
  return waitFor(`the call from ${caller} to be answered`, async () => {
    const [row] = await hotline.sql<CallRow[]>`select * from calls where caller_number = ${caller} order by arrived_at desc limit 1`
    return row?.answeredAt ? row : undefined
  }, ms)
}

/** Expects the caller's call to be answered by agent `agentId` (one assertion, with `message`); returns its record. */
export async function expectAnsweredBy(t: Test, hotline: Hotline, o: { caller: string; agentId: string; message?: string; ms?: number }): Promise<CallRow> {
  const row = await callAnswered(hotline, o.caller, o.ms)
  t.equal(row.agentId, o.agentId, o.message ?? `answered by ${o.agentId}`)
  return row
}

/** Expects the caller's call to end answered by agent `agentId` (outcome and agent asserted); returns its closed record. */
export async function expectCallEndsAnsweredBy(t: Test, hotline: Hotline, o: { caller: string; agentId: string; ms?: number }): Promise<CallRow> {
  const row = await waitFor(`the call from ${o.caller} to end`, async () => {
    const [r] = await hotline.sql<CallRow[]>`select * from calls where caller_number = ${o.caller} and ended_at is not null order by arrived_at desc limit 1`
    return r
  }, o.ms ?? 30000)
  t.equal(row.outcome, 'answered', `the call from ${o.caller} ended answered`)
  t.equal(row.agentId, o.agentId, `by ${o.agentId}`)
  return row
}
