/**
 * The ACD loop. It runs when something can change the answer (a caller queued, an agent
 * became ready, an offer failed), never on a timer: a 15-second answer target leaves no room
 * for polling. Runs are coalesced: a request during a run schedules exactly one more run.
 */
import type { Logger } from 'pino'
import type { AgentLive } from '../agents/model.ts'
import type { AgentService } from '../agents/service.ts'
import type { AgentRecords } from '../agents/store.ts'
import type { QueueEntry, RoutableAgent } from './model.ts'
import { planOffers } from './rules.ts'
import type { QueueDirectory, QueueWaitingStore } from './store.ts'

export interface OfferSink {
  /** Rings the agent for the entry; false if the call can no longer be offered. */
  offer(entry: QueueEntry, agent: AgentLive, ringTimeoutSeconds: number): Promise<boolean>
}

export class Acd {
  private running: Promise<void> | null = null
  private again = false
  private sink: OfferSink | null = null
  private stopped = false

  constructor(private readonly deps: {
    agents: AgentService
    agentRecords: AgentRecords
    waiting: QueueWaitingStore
    directory: QueueDirectory
    log: Logger
    defaultRingTimeoutSeconds: number
  }) {}

  attach(sink: OfferSink): void {
    this.sink = sink
  }

  /** Asks for a dispatch run; returns the run's promise (tests and shutdown may await it). */
  request(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    if (this.running) { this.again = true; return this.running }
    this.running = (async () => {
      try {
        do {
          this.again = false
          await this.runOnce().catch((err) => this.deps.log.error({ err }, 'dispatch failed'))
        } while (this.again && !this.stopped)
      } finally {
        this.running = null
      }
    })()
    return this.running
  }

  private async runOnce(): Promise<void> {
    const sink = this.sink
    if (!sink) return
    const ready = (await this.deps.agents.listSignedIn()).filter((a) => a.state === 'ready' && a.seat)
    if (ready.length === 0) return
    // Only the head of each queue can be offered now; a margin covers callers whose skills no
    // ready agent has, so they do not hide the servable callers behind them.
    const waiting = await this.deps.waiting.waiting(undefined, ready.length + 20)
    if (waiting.length === 0) return
    const queues = await this.deps.directory.allQueues()
    const profiles = new Map((await this.deps.agentRecords.profiles(ready.map((a) => a.agentId))).map((p) => [p.agentId, p]))
    const routable: RoutableAgent[] = ready.flatMap((a) => {
      const p = profiles.get(a.agentId)
      return p ? [{ agentId: a.agentId, idleSince: a.idleSince, callsToday: a.callsToday, skills: p.skills, queues: p.queues }] : []
    })
    for (const planned of planOffers(waiting, routable, queues)) {
      const { entry, agentId } = planned
      // Reserve the agent first (compare-and-set on its version): never two offers at once.
      const reserved = await this.deps.agents.tryApply(agentId, { type: 'offer', callId: entry.callId }, 'acd')
      if (!reserved.ok) { this.again = true; continue }
      // Then claim the caller; if another node or a hangup took it, free the agent again.
      if (!(await this.deps.waiting.remove(entry.queueId, entry.callId))) {
        await this.deps.agents.tryApply(agentId, { type: 'offer-withdrawn', callId: entry.callId }, 'acd')
        this.again = true
        continue
      }
      const ring = queues.get(entry.queueId)?.ringTimeoutSeconds ?? this.deps.defaultRingTimeoutSeconds
      let offered = false
      try {
        offered = await sink.offer(entry, reserved.agent, ring)
      } finally {
        if (!offered) await this.deps.agents.tryApply(agentId, { type: 'offer-withdrawn', callId: entry.callId }, 'acd')
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.running
  }
}
