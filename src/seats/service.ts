/**
 * Seat access: the administrators' assignment of seats, the check at sign-in, and a web seat's
 * SIP credentials, issued per sign-in and withdrawn at sign-out.
 */
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import type { Logger } from 'pino'
import { AgentErrors } from '../agents/errors.ts'
import type { AuditEntry, AuditLog } from '../audit/index.ts'
import { SeatErrors } from './errors.ts'
import type { SeatAssignment, SeatKind, SeatRefusal, SeatView } from './model.ts'
import type { SeatAuthPort } from './pbx.ts'
import { decideSignIn, normalizeAddress, seatIds, seatKinds } from './rules.ts'
import type { SeatAssignments, SeatSecrets } from './store.ts'

type Actor = Pick<AuditEntry, 'actor' | 'actorRole' | 'ip'>

const REFUSAL_TEXT: Record<SeatRefusal, (seat: string, agentId: string) => string> = {
  'not-a-seat': (seat) => `'${seat}' is not a seat`,
  unassigned: (seat) => `seat '${seat}' is not assigned to anyone; an administrator assigns seats`,
  'assigned-to-another': (seat, agentId) => `seat '${seat}' is not assigned to agent '${agentId}'`,
  'other-workstation': (seat) => `seat '${seat}' belongs to a workstation this sign-in does not come from`
}

export class SeatService {
  private readonly kindOf: (seat: string) => SeatKind | null
  private readonly allSeats: { seat: string; kind: SeatKind }[]

  constructor(private readonly d: {
    assignments: SeatAssignments; secrets: SeatSecrets; pbx: SeatAuthPort; audit: AuditLog; log: Logger
    /** HOTLINE_SEATS and HOTLINE_WEB_SEATS, as the PBX configuration was rendered from them. */
    deskSeats: string; webSeats: string
  }) {
    this.kindOf = seatKinds(d.deskSeats, d.webSeats)
    this.allSeats = [
      ...seatIds(d.deskSeats).map((seat) => ({ seat, kind: 'desk' as const })),
      ...seatIds(d.webSeats).map((seat) => ({ seat, kind: 'web' as const }))
    ].filter((s) => this.kindOf(s.seat) === s.kind)
  }

  kind(seat: string): SeatKind | null {
    return this.kindOf(seat)
  }

  /** Every seat of the PBX with its assignment. */
  async list(): Promise<SeatView[]> {
    const byId = new Map((await this.d.assignments.list()).map((a) => [a.seat, a]))
    return this.allSeats.map(({ seat, kind }) => present(seat, kind, byId.get(seat) ?? null))
  }

  async get(seat: string): Promise<SeatView> {
    const kind = this.requireSeat(seat)
    return present(seat, kind, await this.d.assignments.get(seat))
  }

  async assign(seat: string, to: { agentId?: string | undefined; workstation?: string | undefined }, actor: Actor): Promise<SeatView> {
    const kind = this.requireSeat(seat)
    const agentId = to.agentId ?? null
    const workstation = to.workstation === undefined ? null : normalizeAddress(to.workstation)
    if ((agentId === null) === (workstation === null)) throw new SeatErrors.badAssignment('give exactly one of agentId (a person) or workstation (an address)')
    if (workstation !== null && isIP(workstation) === 0) throw new SeatErrors.badAssignment(`workstation '${to.workstation}' is not an IP address`)
    if (agentId !== null) {
      const role = await this.d.assignments.userRole(agentId)
      if (role !== 'agent' && role !== 'supervisor') throw new SeatErrors.badAssignment(`'${agentId}' is not an agent or a supervisor`)
    }
    const before = await this.d.assignments.assign(seat, { agentId, workstation }, actor.actor ?? 'system')
    await this.d.audit.record({
      ...actor, action: 'seat.assign', target: seat, outcome: 'success',
      details: { kind, agentId, workstation, before: before ? { agentId: before.agentId, workstation: before.workstation } : null }
    })
    return this.get(seat)
  }

  async unassign(seat: string, actor: Actor): Promise<void> {
    this.requireSeat(seat)
    const before = await this.d.assignments.unassign(seat)
    await this.d.audit.record({ ...actor, action: 'seat.unassign', target: seat, outcome: 'success', details: { before: before ? { agentId: before.agentId, workstation: before.workstation } : null } })
  }

  /**
   * The check at sign-in: a seat of the PBX, assigned to this agent (or to the workstation the
   * sign-in comes from). A refusal is audited: trying other people's seats is what a credential
   * harvest looks like.
   */
  async authorize(seat: string, agentId: string, context: { actor: string; address: string | null }): Promise<SeatKind> {
    const kind = this.kindOf(seat)
    const assignment = kind ? await this.d.assignments.get(seat) : null
    const decision = decideSignIn({ kind, assignment, agentId, address: context.actor === agentId ? context.address : null })
    if (decision.ok) return decision.kind
    await this.d.audit.record({
      actor: context.actor, ip: context.address, action: 'seat.sign-in', target: seat, outcome: 'denied',
      details: { agentId, reason: decision.reason }
    })
    // The code sign-in has always answered for an unknown seat (published: it does not change).
    if (decision.reason === 'not-a-seat') throw new AgentErrors.noSuchSeat(seat)
    throw new SeatErrors.notAssigned(REFUSAL_TEXT[decision.reason](seat, agentId))
  }

  /**
   * The check before a supervisor's listen, whisper or barge: the seat that rings and joins the
   * call must be a seat of the PBX assigned to this supervisor personally (never the trunk, any
   * other endpoint, an agent's seat or a workstation's). A refusal is audited.
   */
  async authorizeIntervention(seat: string, supervisorId: string, context: { actorRole: string; mode: string; callId: string }): Promise<SeatKind> {
    const kind = this.kindOf(seat)
    const assignment = kind ? await this.d.assignments.get(seat) : null
    const decision = decideSignIn({ kind, assignment, agentId: supervisorId, address: null })
    if (decision.ok) return decision.kind
    await this.d.audit.record({
      actor: supervisorId, actorRole: context.actorRole, action: 'seat.intervene', target: seat, outcome: 'denied',
      details: { mode: context.mode, callId: context.callId, reason: decision.reason }
    })
    if (decision.reason === 'not-a-seat') throw new SeatErrors.notASeat(seat)
    throw new SeatErrors.notAssigned(decision.reason === 'unassigned'
      ? `seat '${seat}' is not assigned to anyone; an administrator assigns the supervisor's own seat`
      : `seat '${seat}' is not assigned to supervisor '${supervisorId}': a supervisor intervenes only from their own seat`)
  }

  /** After a sign-in: a web seat gets a password of its own for this sign-in only. */
  async signedIn(seat: string, agentId: string): Promise<void> {
    if (this.kindOf(seat) !== 'web') return
    const password = randomBytes(18).toString('base64url')
    await this.d.secrets.put(seat, agentId, password)
    await this.d.pbx.set(seat, password)
  }

  /** After a sign-out: the web seat's password stops working (its auth object is removed). */
  async signedOut(seat: string): Promise<void> {
    if (this.kindOf(seat) !== 'web') return
    await this.d.secrets.drop(seat)
    await this.d.pbx.remove(seat)
  }

  /** The SIP account of the seat an agent is signed in to, for the panel's softphone. */
  async credentials(seat: string, agentId: string): Promise<{ username: string; password: string }> {
    const kind = this.kindOf(seat)
    if (kind === 'desk') throw new SeatErrors.deskPhone(seat)
    const current = kind ? await this.d.secrets.get(seat) : null
    if (!current || current.agentId !== agentId) throw new SeatErrors.noCredentials(`no SIP credentials are issued for seat '${seat}' to agent '${agentId}'; sign in again`)
    return { username: seat, password: current.password }
  }

  /**
   * After (re)connecting to Asterisk: its memory holds no auth objects after a restart, and one
   * may be left over when a sign-out could not reach it. Every web seat gets exactly what Redis
   * says: the current sign-in's password, or no auth object at all.
   */
  async reconcilePbx(): Promise<{ pushed: number; removed: number }> {
    const live = new Map((await this.d.secrets.all()).map((s) => [s.seat, s.password]))
    let pushed = 0; let removed = 0
    for (const { seat, kind } of this.allSeats) {
      if (kind !== 'web') continue
      const password = live.get(seat)
      if (password) { await this.d.pbx.set(seat, password); pushed++ } else { await this.d.pbx.remove(seat); removed++ }
    }
    return { pushed, removed }
  }

  private requireSeat(seat: string): SeatKind {
    const kind = this.kindOf(seat)
    if (!kind) throw new SeatErrors.notASeat(seat)
    return kind
  }
}

function present(seat: string, kind: SeatKind, a: SeatAssignment | null): SeatView {
  return { seat, kind, agentId: a?.agentId ?? null, workstation: a?.workstation ?? null, updatedBy: a?.updatedBy ?? null, updatedAt: a ? a.updatedAt.toISOString() : null }
}
