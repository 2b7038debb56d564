/**
 * What an agent (or a supervisor for them) asks for: sign in to a seat, ready, not ready,
 * sign out. Preconditions that need the outside world (is the seat assigned to the agent, is
 * it free) are checked here; the state rules stay in rules.ts.
 */
import { AgentErrors } from './errors.ts'
import type { AgentLive } from './model.ts'
import type { AgentService } from './service.ts'
import type { AgentLiveStore, AgentRecords } from './store.ts'

/** Who may use which seat, and a seat's SIP credentials around a sign-in (src/seats). */
export interface SeatAccess {
  /** Throws unless `seat` is one of the PBX's seats and assigned to this agent (or its workstation). */
  authorize(seat: string, agentId: string, context: { actor: string; address: string | null }): Promise<unknown>
  /** After the sign-in: issue the seat's credentials for this sign-in. */
  signedIn(seat: string, agentId: string): Promise<void>
  /** After the sign-out: the credentials of that sign-in stop working. */
  signedOut(seat: string): Promise<void>
}

export class AgentCommands {
  constructor(private readonly deps: { agents: AgentService; live: AgentLiveStore; records: AgentRecords; seats: SeatAccess }) {}

  private async requireAgent(agentId: string): Promise<void> {
    if (!(await this.deps.records.profile(agentId))) throw new AgentErrors.noSuchAgent(agentId)
  }

  /**
   * Sign-in only to a seat of the PBX that is assigned to this agent (or to the workstation the
   * agent signs in from: `address`, known when the agent asks in person). The seat's SIP
   * credentials are issued for this sign-in once it is recorded, and withdrawn at sign-out.
   */
  async signIn(agentId: string, seat: string, actor: string, address: string | null = null): Promise<AgentLive> {
    await this.requireAgent(agentId)
    await this.deps.seats.authorize(seat, agentId, { actor, address })
    if (!(await this.deps.live.claimSeat(seat, agentId))) {
      throw new AgentErrors.seatTaken(seat, (await this.deps.live.seatOwner(seat)) ?? 'another agent')
    }
    let signedIn: AgentLive
    try {
      signedIn = await this.deps.agents.apply(agentId, { type: 'sign-in', seat }, actor)
    } catch (err) {
      const current = await this.deps.agents.get(agentId)
      if (current.seat !== seat) await this.deps.live.releaseSeat(seat, agentId)
      throw err
    }
    try {
      await this.deps.seats.signedIn(seat, agentId)
    } catch (err) {
      // No credentials, no usable seat: undo the sign-in rather than leave an agent nobody can reach.
      await this.deps.agents.apply(agentId, { type: 'sign-out' }, actor).catch(() => undefined)
      await this.deps.live.releaseSeat(seat, agentId)
      await this.deps.seats.signedOut(seat).catch(() => undefined)
      throw err
    }
    return signedIn
  }

  async signOut(agentId: string, actor: string, forced = false): Promise<AgentLive> {
    await this.requireAgent(agentId)
    const before = await this.deps.agents.get(agentId)
    const after = await this.deps.agents.apply(agentId, { type: forced ? 'force-sign-out' : 'sign-out' }, actor)
    if (before.seat) {
      await this.deps.live.releaseSeat(before.seat, agentId)
      await this.deps.seats.signedOut(before.seat)
    }
    return after
  }

  async setReady(agentId: string, actor: string): Promise<AgentLive> {
    await this.requireAgent(agentId)
    return this.deps.agents.apply(agentId, { type: 'set-ready' }, actor)
  }

  async setNotReady(agentId: string, reason: string, actor: string, forced = false): Promise<AgentLive> {
    await this.requireAgent(agentId)
    return this.deps.agents.apply(agentId, forced ? { type: 'force-not-ready', reason } : { type: 'set-not-ready', reason }, actor)
  }

  async extendWrapUp(agentId: string, seconds: number, actor: string): Promise<AgentLive> {
    await this.requireAgent(agentId)
    return this.deps.agents.apply(agentId, { type: 'extend-wrap-up', seconds }, actor)
  }

  async state(agentId: string): Promise<AgentLive> {
    await this.requireAgent(agentId)
    return this.deps.agents.get(agentId)
  }
}
