/**
 * Ticket use cases: resolve what the rules need (category, units, the call, the caller's
 * earlier tickets), let the rules decide, and have the store write the outcome in one go.
 * The panel, the call side and the follow-up dialer all come through here.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Clock } from '../domain/clock.ts'
import { TicketErrors, withDetails } from './errors.ts'
import type { Actor, Ticket, TicketAction, TicketCategory, TicketDraft, TicketSummary, Unit, UnitKind } from './model.ts'
import { REPEAT_WINDOW_DAYS, acceptTicket, centerDay, repeatFlag, transitionTicket, unitMayRead } from './rules.ts'
import type { LinkedCall, StoredTicketEvent, TicketSearch, TicketStore } from './store.ts'

const DAY_MS = 86_400_000

export interface AcceptRequest extends TicketDraft {
  /** The call the ticket is accepted on: linked, with its recording. */
  callId?: string
  /** 即办: answered on the call, closed at once (and queued for follow-up). */
  resolvedOnCall?: boolean
  note?: string
}

export class TicketService {
  constructor(private readonly deps: { store: TicketStore; clock: Clock; timeZone: string; log: Logger; repeatWindowDays?: number }) {}

  async accept(req: AcceptRequest, actor: Actor): Promise<Ticket> {
    const { store, clock } = this.deps
    const category = await store.category(req.categoryCode)
    if (!category) throw withDetails(new TicketErrors.invalid(`body.categoryCode: no ticket category '${req.categoryCode}'`), { categoryCode: req.categoryCode })
    let link: { callId: string; recordingName: string | null } | undefined
    let lineNumber = req.lineNumber
    if (req.callId) {
      const call = await store.callFacts(req.callId)
      if (!call) throw withDetails(new TicketErrors.invalid(`body.callId: no call with id '${req.callId}'`), { callId: req.callId })
      link = { callId: req.callId, recordingName: call.recordingName }
      lineNumber ??= call.lineNumber
    }
    const now = clock.now()
    const windowDays = this.deps.repeatWindowDays ?? REPEAT_WINDOW_DAYS
    const earlier = await store.repeatCandidates(req.callerNumber, now - windowDays * DAY_MS)
    const repeat = repeatFlag(earlier, { callerNumber: req.callerNumber, categoryCode: req.categoryCode, now }, windowDays)
    const draft: TicketDraft = {
      callerNumber: req.callerNumber, callerName: req.callerName, channel: req.channel, lineNumber, categoryCode: req.categoryCode,
      content: req.content, address: req.address, urgency: req.urgency
    }
    const ticket = await store.create(centerDay(now, this.deps.timeZone), (number) => {
      const accepted = acceptTicket(draft, { id: randomUUID(), number, category, actor, now, repeat })
      if (!accepted.ok || !req.resolvedOnCall) return accepted
      const closed = transitionTicket(accepted.ticket, { type: 'close', resolvedOnCall: true, ...(req.note ? { note: req.note } : {}) }, actor, now)
      if (!closed.ok) return closed
      return { ok: true, ticket: closed.ticket, events: [...accepted.events, ...closed.events], effects: [...accepted.effects, ...closed.effects] }
    }, link)
    this.deps.log.info({ ticketId: ticket.id, number: ticket.number, actorId: actor.id, resolvedOnCall: ticket.resolvedOnCall, repeat: repeat.repeat }, 'ticket accepted')
    return ticket
  }

  /** One life-cycle step on the ticket as the client last saw it (`expectedVersion`). */
  async act(idOrNumber: string, expectedVersion: number, action: TicketAction, actor: Actor): Promise<Ticket> {
    const now = this.deps.clock.now()
    if (action.type === 'dispatch') {
      const missing = await this.deps.store.missingUnits([action.leadUnitId, ...action.coUnitIds])
      if (missing.length > 0) {
        const field = missing.includes(action.leadUnitId) ? 'body.leadUnitId' : 'body.coUnitIds'
        throw withDetails(new TicketErrors.invalid(`${field}: no active unit '${missing.join("', '")}'`), { units: missing })
      }
    }
    const ticket = await this.deps.store.transition(idOrNumber, expectedVersion, (current) => transitionTicket(current, action, actor, now))
    this.deps.log.info({ ticketId: ticket.id, number: ticket.number, action: action.type, status: ticket.status, actorId: actor.id }, 'ticket changed')
    return ticket
  }

  /** A ticket as `actor` may see it: units only see tickets they lead or co-handle. */
  async get(idOrNumber: string, actor: Actor): Promise<Ticket> {
    const ticket = await this.deps.store.get(idOrNumber)
    if (!ticket) throw new TicketErrors.notFound(idOrNumber)
    if (actor.role === 'unit' && (actor.unitId === null || !unitMayRead(ticket, actor.unitId))) {
      throw withDetails(new TicketErrors.forbidden(`unit '${actor.unitId ?? '-'}' does not handle ticket ${ticket.number}`), { ticketId: ticket.id })
    }
    return ticket
  }

  async events(idOrNumber: string, actor: Actor): Promise<{ ticket: Ticket; events: StoredTicketEvent[] }> {
    const ticket = await this.get(idOrNumber, actor)
    return { ticket, events: await this.deps.store.events(ticket.id) }
  }

  async search(filter: TicketSearch, actor: Actor): Promise<{ tickets: Ticket[]; total: number }> {
    if (actor.role === 'unit') {
      if (actor.unitId === null) throw new TicketErrors.forbidden(`unit user '${actor.id}' belongs to no unit`)
      return this.deps.store.search({ ...filter, unitId: actor.unitId })
    }
    return this.deps.store.search(filter)
  }

  /** The screen pop: the caller's newest tickets, with whether each is still open. */
  recentForCaller(callerNumber: string, limit = 10): Promise<(TicketSummary & { open: boolean })[]> {
    return this.deps.store.recentForCaller(callerNumber, limit)
  }

  /** Links another call about the ticket (a caller chasing it up, a follow-up call). */
  async linkCall(idOrNumber: string, callId: string, recordingName?: string | null): Promise<void> {
    const ticket = await this.deps.store.get(idOrNumber)
    if (!ticket) throw new TicketErrors.notFound(idOrNumber)
    const name = recordingName !== undefined ? recordingName : (await this.deps.store.callFacts(callId))?.recordingName ?? null
    await this.deps.store.linkCall(ticket.id, callId, name, this.deps.clock.now())
  }

  calls(ticketId: string): Promise<LinkedCall[]> {
    return this.deps.store.calls(ticketId)
  }

  categories(): Promise<TicketCategory[]> {
    return this.deps.store.categories()
  }

  units(): Promise<Unit[]> {
    return this.deps.store.units()
  }

  async createUnit(unit: { id: string; name: string; kind: UnitKind }): Promise<void> {
    if (!(await this.deps.store.createUnit(unit))) throw new TicketErrors.unitExists(unit.id)
  }
}
