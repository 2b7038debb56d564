/**
 * The dialer kernel's records: the attempts (dial_attempts, one row an outbound call, of either
 * kind) and the trunks (dialer_trunks). Follow-ups and callbacks each keep their own tasks and
 * extend this store; an attempt is written, marked placed and answered, and finished here only,
 * inside the transaction that also moves its task.
 */
import type { TransactionSql } from 'postgres'
import type { Sql } from '../db/sql.ts'
import type { EvaluationResult } from '../tickets/model.ts'
import type { AttemptKind, AttemptOutcome, OpenAttempt, Trunk } from './model.ts'

const d = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms))

export type { OpenAttempt } from './model.ts'

export interface AttemptRow {
  id: string; kind: AttemptKind; taskId: number; attemptNo: number; channelId: string; trunkId: string; phoneNumber: string
  lineNumber: string | null; state: string; outcome: string | null; cause: number | null; result: EvaluationResult | null; digits: string | null
  recordingName: string | null; agentId: string | null; seat: string | null; dueAt: Date | null; createdAt: Date; dialledAt: Date | null
  answeredAt: Date | null; endedAt: Date | null
}

/** A new attempt, written in the transaction that claims its task (before the call is placed). */
export interface NewAttempt {
  id: string; kind: AttemptKind; taskId: number; attemptNo: number; channelId: string; trunkId: string; phoneNumber: string; lineNumber: string | null
  agentId?: string | null; seat?: string | null; dueAt: number; createdAt: number
}

/** The pool or a transaction's scoped sql (attempts are written inside their task's transaction). */
type Tx = Sql | TransactionSql<Record<string, unknown>>

/** Writes the attempts, in one statement. */
export async function insertAttempts(tx: Tx, attempts: readonly NewAttempt[]): Promise<void> {
  if (attempts.length === 0) return
  await tx`insert into dial_attempts ${tx(attempts.map((a) => ({
    id: a.id, kind: a.kind, task_id: a.taskId, attempt_no: a.attemptNo, channel_id: a.channelId, trunk_id: a.trunkId, phone_number: a.phoneNumber,
    line_number: a.lineNumber, agent_id: a.agentId ?? null, seat: a.seat ?? null, due_at: new Date(a.dueAt), created_at: new Date(a.createdAt)
  })))}`
}

/**
 * Finishes an attempt still open (the first outcome wins; a survey's result and digits are kept
 * when given). False when it was already finished: its task must not move again.
 */
export async function finishAttemptRow(tx: Tx, a: { attemptId: string; outcome: AttemptOutcome; cause?: number | null; result?: EvaluationResult | null; digits?: string | null; at: number }): Promise<boolean> {
  const done = await tx`update dial_attempts set state = 'finished', outcome = ${a.outcome}, cause = ${a.cause ?? null}, result = coalesce(${a.result ?? null}, result),
      digits = coalesce(${a.digits ?? null}, digits), ended_at = ${new Date(a.at)}
    where id = ${a.attemptId} and state <> 'finished' returning id`
  return done.length > 0
}

export class DialAttemptStore {
  constructor(protected readonly sql: Sql) {}

  async trunks(): Promise<Trunk[]> {
    const rows = await this.sql<(Omit<Trunk, 'callsPerSecond'> & { callsPerSecond: string })[]>`
      select id, max_concurrent, calls_per_second, dial_template from dialer_trunks order by id`
    return rows.map((r) => ({ ...r, callsPerSecond: Number(r.callsPerSecond) }))
  }

  async saveTrunk(t: Trunk): Promise<void> {
    await this.sql`insert into dialer_trunks (id, max_concurrent, calls_per_second, dial_template, updated_at)
      values (${t.id}, ${t.maxConcurrent}, ${t.callsPerSecond}, ${t.dialTemplate}, now())
      on conflict (id) do update set max_concurrent = excluded.max_concurrent, calls_per_second = excluded.calls_per_second,
        dial_template = excluded.dial_template, updated_at = now()`
  }

  /** Attempts on the trunk that hold a channel (ringing or talking), of any kind. */
  async activeOnTrunk(trunkId: string): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`select count(*)::int as n from dial_attempts where trunk_id = ${trunkId} and state <> 'finished'`
    return row?.n ?? 0
  }

  async markDialled(attemptId: string, at: number): Promise<void> {
    await this.sql`update dial_attempts set dialled_at = ${d(at)} where id = ${attemptId}`
  }

  /** An attempt's recording (null when the attempt does not exist; recordingName null when it was not recorded). */
  async attemptRecording(attemptId: string): Promise<{ kind: string; taskId: number; recordingName: string | null } | null> {
    const [row] = await this.sql<{ kind: string; taskId: string; recordingName: string | null }[]>`select kind, task_id, recording_name from dial_attempts where id = ${attemptId}`
    return row ? { kind: row.kind, taskId: Number(row.taskId), recordingName: row.recordingName } : null
  }

  /** False when the attempt was already finished (a late event, or recovery got there first). */
  async markAnswered(attemptId: string, at: number, recordingName: string | null = null): Promise<boolean> {
    const rows = await this.sql`update dial_attempts set state = 'answered', answered_at = ${d(at)}, recording_name = ${recordingName}
      where id = ${attemptId} and state = 'dialling' returning id`
    return rows.length > 0
  }

  async attempt(attemptId: string): Promise<AttemptRow | null> {
    const [row] = await this.sql<AttemptRow[]>`select * from dial_attempts where id = ${attemptId}`
    return row ? { ...row, taskId: Number(row.taskId) } : null
  }

  async attemptByChannel(channelId: string): Promise<AttemptRow | null> {
    const [row] = await this.sql<AttemptRow[]>`select * from dial_attempts where channel_id = ${channelId}`
    return row ? { ...row, taskId: Number(row.taskId) } : null
  }

  async openAttempts(): Promise<OpenAttempt[]> {
    const rows = await this.sql<(Omit<OpenAttempt, 'createdAt' | 'taskId' | 'dialledAt'> & { createdAt: Date; taskId: string; dialledAt: Date | null })[]>`
      select id, kind, task_id, attempt_no, channel_id, state, agent_id, created_at, dialled_at from dial_attempts where state <> 'finished' order by created_at`
    return rows.map((r) => ({ ...r, taskId: Number(r.taskId), createdAt: r.createdAt.getTime(), dialledAt: r.dialledAt ? r.dialledAt.getTime() : null }))
  }

}
