/**
 * The call flow's writes to PostgreSQL (the calls row and the queue log), kept off the call's
 * critical path when PostgreSQL fails: a write that fails is kept, with every later write of the
 * same call, and retried in order with back-off until it lands (or gives up, loudly). The call
 * goes on meanwhile: the caller is connected, the agent's state follows the call (Redis), and
 * nobody is stranded in 'offered' because a record could not be written at answer time.
 *
 * Order per call matters (the row is inserted on arrival, updated later), so once one write of a
 * call is pending, the call's next writes queue behind it instead of overtaking it.
 */
import type { Logger } from 'pino'
import type { CallOutcome, EndedBy, LiveCall } from './model.ts'
import type { CallRecords, QueueLogEvent } from './store.ts'

export type CallLogWriter = Pick<CallRecords, 'arrived' | 'queued' | 'offered' | 'answered' | 'log' | 'ended'>

interface Pending { what: string; write: () => Promise<void>; tries: number }

export interface DurableLogOptions {
  /** Back-off between retries, ms (the last value repeats). */
  backoffMs?: number[]
  /** A write that failed this often is dropped, with an error in the log. */
  maxTries?: number
}

export class DurableCallLog implements CallLogWriter {
  private readonly backlog = new Map<string, Pending[]>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly backoff: number[]
  private readonly maxTries: number

  constructor(private readonly records: CallRecords, private readonly logger: Logger, options: DurableLogOptions = {}) {
    this.backoff = options.backoffMs ?? [250, 500, 1000, 2000, 5000]
    this.maxTries = options.maxTries ?? 120
  }

  /** Calls with writes waiting for PostgreSQL (the readiness probe and tests read it). */
  get pendingCalls(): number {
    return this.backlog.size
  }

  // Each write takes a copy: the call flow goes on changing its live call, and a kept write
  // must still say what was true when it was made.
  arrived(call: LiveCall): Promise<void> { const c = { ...call }; return this.write(c, 'arrived', () => this.records.arrived(c)) }
  queued(call: LiveCall): Promise<void> { const c = { ...call }; return this.write(c, 'queued', () => this.records.queued(c)) }
  offered(call: LiveCall): Promise<void> { const c = { ...call }; return this.write(c, 'offered', () => this.records.offered(c)) }
  answered(call: LiveCall): Promise<void> { const c = { ...call }; return this.write(c, 'answered', () => this.records.answered(c)) }
  log(call: LiveCall, event: QueueLogEvent, at: number, detail: Record<string, unknown> | null = null, agentId: string | null = call.agentId): Promise<void> {
    const c = { ...call }
    return this.write(c, event, () => this.records.log(c, event, at, detail, agentId))
  }
  ended(call: LiveCall, endedAt: number, outcome: CallOutcome, endedBy: EndedBy, logEvent: QueueLogEvent | null): Promise<void> {
    const c = { ...call }
    return this.write(c, 'ended', () => this.records.ended(c, endedAt, outcome, endedBy, logEvent))
  }

  /**
   * Writes now; on failure (or when earlier writes of the call wait) keeps the write for the
   * retry loop and resolves, so the call flow carries on.
   */
  private async write(call: LiveCall, what: string, write: () => Promise<void>): Promise<void> {
    const queue = this.backlog.get(call.callId)
    if (queue) { queue.push({ what, write, tries: 0 }); return }
    try {
      await write()
    } catch (err) {
      this.logger.error({ err, callId: call.callId, write: what }, 'call record write failed; kept for retry, the call goes on')
      this.backlog.set(call.callId, [{ what, write, tries: 1 }])
      this.retryLater(call.callId)
    }
  }

  private retryLater(callId: string): void {
    const queue = this.backlog.get(callId)
    if (!queue || queue.length === 0) return
    const delay = this.backoff[Math.min(queue[0]!.tries - 1, this.backoff.length - 1)] ?? 1000
    const t = setTimeout(() => { this.timers.delete(t); void this.drain(callId) }, delay)
    t.unref()
    this.timers.add(t)
  }

  private async drain(callId: string): Promise<void> {
    const queue = this.backlog.get(callId)
    while (queue && queue.length > 0) {
      const next = queue[0]!
      try {
        await next.write()
        queue.shift()
        this.logger.info({ callId, write: next.what, tries: next.tries + 1 }, 'kept call record written')
      } catch (err) {
        next.tries += 1
        if (next.tries >= this.maxTries) {
          this.logger.error({ err, callId, write: next.what, tries: next.tries }, 'call record write given up')
          queue.shift()
          continue
        }
        this.retryLater(callId)
        return
      }
    }
    this.backlog.delete(callId)
  }

  /** Tries once more to write everything kept (shutdown); what still fails is logged. */
  async flush(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const callId of [...this.backlog.keys()]) {
      const queue = this.backlog.get(callId)!
      while (queue.length > 0) {
        const next = queue.shift()!
        try { await next.write() } catch (err) {
          this.logger.error({ err, callId, write: next.what }, 'call record lost at shutdown')
        }
      }
      this.backlog.delete(callId)
    }
  }
}
