/**
 * Helpers for the outbound dialer's tests: citizens' phones (SIPp UAS) on 127.0.0.5 that the
 * dialer trunk reaches through a URI template, tickets closed straight into the follow-up
 * outbox, and a clock the test moves by hand.
 */
import path from 'node:path'
import type { Test } from 'tap'
import type { Hotline } from '../../src/app.ts'
import type { Clock } from '../../src/domain/clock.ts'
import { createSql, type Sql } from '../../src/db/sql.ts'
import { ownerDatabaseUrl } from './hotline.ts'
import { renderScenario, startSipp, type SippProcess } from './sipp.ts'
export { keysPcap } from './pcap.ts'

export const CITIZEN_IP = '127.0.0.5'
export const CITIZEN_PORT = 5090
/** Every dialled number reaches the citizen phone SIPp runs on 127.0.0.5:5090. */
export const CITIZEN_TEMPLATE = `PJSIP/{trunk}/sip:{number}@${CITIZEN_IP}:${CITIZEN_PORT}`

export class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number { return this.t }
  set(ms: number): void { this.t = ms }
  advance(ms: number): void { this.t += ms }
}

/** The next 07:00 in Beijing after `from` (before the default 08:30 window opens). */
export function nextBeijingSevenAm(from = Date.now()): number {
  const day = new Date(from + 8 * 3_600_000)
  let at = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 7 - 8, 0)
  while (at <= from) at += 86_400_000
  return at
}

export async function resetDialer(sql: Sql, opts: { template?: string; cps?: number; maxConcurrent?: number } = {}): Promise<void> {
  // TRUNCATE is the schema owner's (the server's role has no such right).
  const owner = createSql(ownerDatabaseUrl(), { max: 1 })
  try {
    await owner`truncate dial_attempts, callback_tasks`
    await owner`truncate tickets, ticket_number_counters cascade`
  } finally {
    await owner.end({ timeout: 5 })
  }
  await sql`delete from follow_up_campaigns where id <> 'default'`
  await sql`update follow_up_campaigns set state = 'running', mode = 'survey', windows = '[{"from":"08:30","to":"12:00"},{"from":"14:00","to":"20:30"}]',
    max_attempts = 3, retry_minutes = '{30,120}', ring_seconds = 30, agent_queue_id = null where id = 'default'`
  await sql`update dialer_trunks set dial_template = ${opts.template ?? CITIZEN_TEMPLATE}, calls_per_second = ${opts.cps ?? 50}, max_concurrent = ${opts.maxConcurrent ?? 20} where id = 'trunk'`
}

/** A ticket accepted and resolved on the call (即办): closed at once, so its follow-up is due now. */
export async function closedTicket(hotline: Hotline, callerNumber: string, categoryCode = 'city-management'): Promise<{ ticketId: string; taskId: number }> {
  const ticket = await hotline.tickets.accept({
    callerNumber, callerName: '市民', channel: 'phone', lineNumber: '12345', categoryCode, content: '小区路灯不亮', address: null, urgency: 'normal', resolvedOnCall: true
  }, { id: 'A-test', role: 'agent', unitId: null })
  const [task] = await hotline.sql<{ id: string }[]>`select id from follow_up_tasks where ticket_id = ${ticket.id}`
  return { ticketId: ticket.id, taskId: Number(task!.id) }
}

export interface CitizenPhone extends SippProcess { messages: string }

/** A citizen phone (UAS) on 127.0.0.5:5090; `-trace_msg` keeps every SIP message it saw. */
export function startCitizenPhone(t: Test, scenario: string, vars: Record<string, string | number>, maxCalls: number, timeoutS = 90, extra: string[] = []): CitizenPhone {
  const file = renderScenario(scenario, vars)
  const dir = path.dirname(file)
  const messages = path.join(dir, 'messages.log')
  const errors = path.join(dir, 'errors.log')
  const phone = startSipp(['-sf', file, '-i', CITIZEN_IP, '-p', String(CITIZEN_PORT), '-mi', CITIZEN_IP, '-m', String(maxCalls),
    '-trace_msg', '-message_file', messages, '-trace_err', '-error_file', errors, ...extra], timeoutS, errors)
  t.teardown(() => phone.stop())
  return Object.assign(phone, { messages })
}

export const keyPcap = (digit: string) => `/usr/share/sip-tester/dtmf_2833_${digit}.pcap`
