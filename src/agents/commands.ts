/**
 * What an agent (or a supervisor for them) asks for: sign in to a seat, ready, not ready,
 * sign out. Preconditions that need the outside world (does the seat exist on the PBX, is
 * it free) are checked here; the state rules stay in rules.ts.
 */
import { AgentErrors } from './errors.ts'
import type { AgentLive } from './model.ts'
import type { AgentService } from './service.ts'
import type { AgentLiveStore, AgentRecords } from './store.ts'

export interface SeatDirectory {
  /** True when the PBX knows this seat (a PJSIP endpoint). */
  exists(seat: string): Promise<boolean>
}

export class AgentCommands {
  constructor(private readonly deps: { agents: AgentService; live: AgentLiveStore; records: AgentRecords; seats: SeatDirectory }) {}

  private async requireAgent(agentId: string): Promise<void> {
    if (!(await this.deps.records.profile(agentId))) throw new AgentErrors.noSuchAgent(agentId)
  }

  async signIn(agentId: string, seat: string, actor: string): Promise<AgentLive> {
    await this.requireAgent(agentId)
    if (!(await this.deps.seats.exists(seat))) throw new AgentErrors.noSuchSeat(seat)
    if (!(await this.deps.live.claimSeat(seat, agentId))) {
      throw new AgentErrors.seatTaken(seat, (await this.deps.live.seatOwner(seat)) ?? 'another agent')
    }
    try {
      return await this.deps.agents.apply(agentId, { type: 'sign-in', seat }, actor)
    } catch (err) {
      const current = await this.deps.agents.get(agentId)
      if (current.seat !== seat) await this.deps.live.releaseSeat(seat, agentId)
      throw err
    }
  }

  async signOut(agentId: string, actor: string, forced = false): Promise<AgentLive> {
    await this.requireAgent(agentId)
    const before = await this.deps.agents.get(agentId)
    const after = await this.deps.agents.apply(agentId, { type: forced ? 'force-sign-out' : 'sign-out' }, actor)
    if (before.seat) await this.deps.live.releaseSeat(before.seat, agentId)
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
