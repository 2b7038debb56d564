/**
 * The screen pop (弹屏): what the agent's panel shows about a call as it rings. The caller's
 * earlier tickets come from one indexed query (tickets by caller number); the pop never waits
 * long for it and never fails because of it: without tickets it still goes out, and the
 * failure is logged.
 */
import type { Logger } from 'pino'
import type { LiveCall } from '../calls/model.ts'
import type { QueueDirectory } from '../queueing/store.ts'
import type { TicketSummary } from '../tickets/model.ts'
import { REPEAT_WINDOW_DAYS } from '../tickets/rules.ts'
import type { CallOfferView, EarlierTicketView } from '../realtime/contract.ts'

const DAY_MS = 86_400_000

export interface ScreenPopDeps {
  directory: QueueDirectory
  tickets: { recentForCaller(callerNumber: string, limit?: number): Promise<(TicketSummary & { open: boolean })[]> }
  log: Logger
  now: () => number
  /** Longest the pop waits for the ticket lookup, ms. */
  ticketTimeoutMs?: number
}

export class ScreenPop {
  constructor(private readonly deps: ScreenPopDeps) {}

  async view(call: LiveCall): Promise<CallOfferView> {
    const [line, earlier] = await Promise.all([this.deps.directory.lineFor(call.dialledNumber), this.earlierTickets(call)])
    const since = this.deps.now() - REPEAT_WINDOW_DAYS * DAY_MS
    return {
      callId: call.callId, callerNumber: call.callerNumber, dialledNumber: call.dialledNumber, lineNumber: call.lineNumber,
      lineName: line?.number === call.lineNumber ? line.name : null, queueId: call.queueId,
      waitSeconds: Math.round(((call.offeredAt ?? this.deps.now()) - (call.queuedAt ?? call.arrivedAt)) / 100) / 10,
      offeredAt: new Date(call.offeredAt ?? this.deps.now()).toISOString(), kind: call.callbackOf ? 'callback' : call.followUp ? 'follow-up' : 'inbound',
      ...(call.callbackOf ? { callbackOf: call.callbackOf } : {}),
      ...(call.followUp ? { followUpTicketId: call.followUp.ticketId } : {}),
      earlierTickets: earlier,
      // The new request's category is not known yet; the panel narrows this to "same category"
      // once the agent picks one, and the ticket store decides the repeat link on saving.
      repeatCaller: earlier.some((t) => t.open || Date.parse(t.createdAt) >= since)
    }
  }

  private async earlierTickets(call: LiveCall): Promise<EarlierTicketView[]> {
    if (!call.callerNumber || call.callerNumber === 'anonymous') return []
    let timer: NodeJS.Timeout | undefined
    try {
      const rows = await Promise.race([
        this.deps.tickets.recentForCaller(call.callerNumber, 10),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('ticket lookup timed out')), this.deps.ticketTimeoutMs ?? 1500) })
      ])
      return rows.map((t) => ({
        id: t.id, number: t.number, status: t.status, categoryCode: t.categoryCode,
        createdAt: new Date(t.createdAt).toISOString(), deadline: new Date(t.deadline).toISOString(), open: t.open
      }))
    } catch (err) {
      this.deps.log.warn({ callId: call.callId, err: (err as Error).message }, 'screen pop without earlier tickets: lookup failed')
      return []
    } finally {
      clearTimeout(timer)
    }
  }
}
