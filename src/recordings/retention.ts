/**
 * Recording retention (录音保存期限): a call's or follow-up's recording is deleted from Asterisk's
 * spool (through ARI) once the call ended more than HOTLINE_RECORDING_RETENTION_DAYS ago, and
 * every deletion is audited (`recording.purge`). Only recordings the database ties to a call or a
 * dial attempt are touched: a file in the spool with no record is nobody's to judge, and stays.
 */
import type { Logger } from 'pino'
import type { AuditLog } from '../audit/index.ts'
import type { Sql } from '../db/sql.ts'
import { ignoreGone } from '../pbx/ari/errors.ts'
import type { AriRest } from '../pbx/ari/rest.ts'

const DAY_MS = 86_400_000

/** Recordings of calls that ended before this instant are due; null: kept forever (0 days). */
export function retentionCutoff(now: number, retentionDays: number): Date | null {
  return retentionDays > 0 ? new Date(now - retentionDays * DAY_MS) : null
}

export interface RecordingRetention {
  /** One pass: returns how many recordings were deleted. */
  purge(): Promise<number>
  start(): void
  stop(): void
}

export function createRecordingRetention(d: { sql: Sql; rest: AriRest; audit: AuditLog; log: Logger; retentionDays: number; now: () => number; everyMs?: number }): RecordingRetention {
  let timer: NodeJS.Timeout | undefined
  const purge = async (): Promise<number> => {
    const cutoff = retentionCutoff(d.now(), d.retentionDays)
    if (!cutoff) return 0
    const stored = await d.rest.request<{ name: string }[]>('GET', '/recordings/stored')
    if (stored.length === 0) return 0
    const names = stored.map((r) => r.name)
    const due = await d.sql<{ name: string; kind: string; id: string; endedAt: Date }[]>`
      select recording_name as name, 'call' as kind, id::text as id, ended_at from calls
        where recording_name = any(${names}) and ended_at < ${cutoff}
      union all
      select recording_name, 'follow-up-attempt', id::text, ended_at from dial_attempts
        where recording_name = any(${names}) and ended_at < ${cutoff}`
    let removed = 0
    for (const r of due) {
      await ignoreGone(d.rest.request('DELETE', `/recordings/stored/${encodeURIComponent(r.name)}`))
      removed++
      await d.audit.record({
        actor: null, action: 'recording.purge', target: r.name, outcome: 'success',
        details: { [r.kind === 'call' ? 'callId' : 'attemptId']: r.id, endedAt: r.endedAt.toISOString(), retentionDays: d.retentionDays }
      })
    }
    if (removed > 0) d.log.info({ removed, before: cutoff.toISOString() }, 'recordings past their retention deleted')
    return removed
  }
  return {
    purge,
    start() {
      if (d.retentionDays <= 0 || timer) return
      const run = () => { purge().catch((err) => d.log.error({ err }, 'recording retention purge failed')) }
      // The first pass a minute after start (ARI is connected by then), then every few hours.
      timer = setTimeout(() => { run(); timer = setInterval(run, d.everyMs ?? 6 * 3600_000); timer.unref() }, 60_000)
      timer.unref()
    },
    stop() { clearTimeout(timer); clearInterval(timer); timer = undefined }
  }
}
