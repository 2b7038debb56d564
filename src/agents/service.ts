/**
 * Agent use cases: every change goes load → pure transition → compare-and-set → state log →
 * publish. Wrap-up expiry is a timer derived from the stored state, so a restarted server
 * re-arms it from Redis.
 */
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { Clock } from '../domain/clock.ts'
import { Lanes } from '../domain/lanes.ts'
import { AgentErrors } from './errors.ts'
import type { AgentEvent, AgentLive } from './model.ts'
import { dayOf, rollDay, transitionAgent, type AgentPolicy, type AgentRejection } from './rules.ts'
import type { AgentLiveStore, AgentRecords } from './store.ts'

export interface AgentChange {
  prev: AgentLive
  next: AgentLive
  event: AgentEvent
  actor: string | null
}

export interface AgentServiceEvents {
  changed: [AgentChange]
}

/** A refused agent transition; carries its HTTP status, code and ids like every API error. */
export class AgentRejected extends Error {
  readonly statusCode: number
  readonly code: string
  readonly details: Record<string, unknown>
  constructor(readonly rejection: AgentRejection, readonly agentId: string) {
    super(`agent ${agentId}: ${rejection.message}`)
    this.name = 'AgentRejected'
    const unknownReason = rejection.code === 'UNKNOWN_REASON'
    this.statusCode = unknownReason ? 400 : 409
    this.code = unknownReason ? 'HOTLINE_AGENTS_UNKNOWN_REASON' : 'HOTLINE_AGENTS_INVALID_TRANSITION'
    this.details = { agentId, from: rejection.from, event: rejection.event }
  }
}

export class AgentService extends EventEmitter<AgentServiceEvents> {
  private readonly lanes = new Lanes()
  private readonly wrapUpTimers = new Map<string, NodeJS.Timeout>()

  constructor(
    private readonly deps: {
      live: AgentLiveStore
      records: AgentRecords
      clock: Clock
      policy: AgentPolicy
      timeZone: string
      log: Logger
    }
  ) {
    super()
  }

  get policy(): AgentPolicy {
    return this.deps.policy
  }

  /** The center's not-ready reasons are data (administrators change them); the rules read them here. */
  setNotReadyReasons(codes: readonly string[]): void {
    this.deps.policy = { ...this.deps.policy, notReadyReasons: [...codes] }
  }

  today(): string {
    return dayOf(this.deps.clock.now(), this.deps.timeZone)
  }

  async get(agentId: string): Promise<AgentLive> {
    const now = this.deps.clock.now()
    return rollDay(await this.deps.live.get(agentId, now, dayOf(now, this.deps.timeZone)), dayOf(now, this.deps.timeZone))
  }

  listSignedIn(): Promise<AgentLive[]> {
    return this.deps.live.listSignedIn()
  }

  /** Applies an event, or throws AgentRejected with the rule's reason. */
  async apply(agentId: string, event: AgentEvent, actor: string | null = null): Promise<AgentLive> {
    const result = await this.tryApply(agentId, event, actor)
    if (!result.ok) throw new AgentRejected(result.rejection, agentId)
    return result.agent
  }

  /** Applies an event; a rejection is a value (used where the caller has a fallback). */
  tryApply(agentId: string, event: AgentEvent, actor: string | null = null): Promise<{ ok: true; agent: AgentLive; changed: boolean } | { ok: false; rejection: AgentRejection }> {
    return this.lanes.run(`agent:${agentId}`, async () => {
      for (let attempt = 0; attempt < 8; attempt++) {
        const prev = await this.get(agentId)
        const now = this.deps.clock.now()
        const result = transitionAgent(prev, event, now, this.deps.policy)
        if (!result.ok) return result
        if (!result.changed) return { ok: true as const, agent: prev, changed: false }
        // A different stored version means another node moved this agent: re-read and re-decide.
        if (!(await this.deps.live.compareAndSet(result.next, prev.version))) continue
        await this.afterChange({ prev, next: result.next, event, actor })
        return { ok: true as const, agent: result.next, changed: true }
      }
      throw new AgentErrors.busy(agentId)
    })
  }

  private async afterChange(change: AgentChange): Promise<void> {
    const { prev, next } = change
    this.armWrapUpTimer(next)
    if (prev.state !== next.state || prev.reason !== next.reason) {
      this.deps.log.info({ agentId: next.agentId, from: prev.state, to: next.state, reason: next.reason, callId: next.callId ?? prev.callId, actor: change.actor }, 'agent state changed')
      try {
        await this.deps.records.logStateChange(prev, next, change.actor)
      } catch (err) {
        // The live state already moved; a lost log row must be visible, not fatal to the call.
        this.deps.log.error({ err, agentId: next.agentId }, 'agent state log write failed')
      }
    }
    this.emit('changed', change)
  }

  /** Wrap-up ends by itself at wrapUpUntil; re-armed after every change and on start-up. */
  armWrapUpTimer(agent: AgentLive): void {
    const existing = this.wrapUpTimers.get(agent.agentId)
    if (existing) clearTimeout(existing)
    this.wrapUpTimers.delete(agent.agentId)
    if (agent.state !== 'wrap-up' || agent.wrapUpUntil === null) return
    const delay = Math.max(0, agent.wrapUpUntil - this.deps.clock.now())
    const timer = setTimeout(() => {
      this.wrapUpTimers.delete(agent.agentId)
      this.tryApply(agent.agentId, { type: 'wrap-up-expired' }, 'system')
        .then((result) => {
          // Timers run on a monotonic clock and may fire a moment before wrapUpUntil by the
          // wall clock; a still-early expiry is simply re-armed.
          if (result.ok && !result.changed && result.agent.state === 'wrap-up') this.armWrapUpTimer(result.agent)
        })
        .catch((err) => this.deps.log.error({ err, agentId: agent.agentId }, 'wrap-up expiry failed'))
    }, delay + 1)
    timer.unref()
    this.wrapUpTimers.set(agent.agentId, timer)
  }

  async rearmTimers(): Promise<void> {
    for (const agent of await this.listSignedIn()) this.armWrapUpTimer(agent)
  }

  async close(): Promise<void> {
    for (const t of this.wrapUpTimers.values()) clearTimeout(t)
    this.wrapUpTimers.clear()
    await this.lanes.idle()
  }
}
