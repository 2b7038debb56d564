/**
 * The live wallboard. Today's per-call facts are kept in memory, read from the queue log with
 * the daily report's own query (StatisticsStore.forEachCallFact), and recomputed with the
 * report's own rules: the figures shown live are the figures GET /v1/reports/daily gives for the
 * same day, not a second set of counters that could drift.
 *
 * Freshness: any call or agent event marks the board dirty; a flush re-reads only the calls whose
 * queue-log rows are new (by row id, with a look-back for transactions that committed out of id
 * order), recomputes, and pushes only the rows that changed. Flushes are at most one per
 * `minIntervalMs`, so a burst of events becomes one message per socket, and well within a second.
 * A slow poll also catches changes made by other server nodes.
 */
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { AgentService } from '../agents/service.ts'
import type { LiveCallStore } from '../calls/store.ts'
import type { Clock } from '../domain/clock.ts'
import type { Sql } from '../db/sql.ts'
import type { QueueDirectory } from '../queueing/store.ts'
import type { AgentRecords } from '../agents/store.ts'
import { dayOf } from '../agents/rules.ts'
import { addDays } from '../domain/local-time.ts'
import type { StatisticsStore } from '../statistics/store.ts'
import type { CallFact, KpiThresholds } from '../statistics/rules.ts'
import { dayChart, todayFigures } from './figures.ts'
import { maskCaller, type WallboardAgent, type WallboardPoint, type WallboardRow, type WallboardSnapshot, type WallboardUpdate } from './model.ts'

export interface WallboardOptions {
  sql: Sql
  stats: StatisticsStore
  directory: QueueDirectory
  agents: AgentService
  agentRecords: AgentRecords
  liveCalls: LiveCallStore
  clock: Clock
  log: Logger
  timeZone: string
  thresholds: KpiThresholds
  maskCallers: boolean
  /** Shortest time between two pushes (coalescing window). */
  minIntervalMs?: number
  /** Poll for changes made by other nodes. */
  pollMs?: number
  chartIntervalMinutes?: number
}

/** Queue-log rows may commit out of id order (concurrent transactions): re-read this many back. */
const LOOKBACK_IDS = 200
const FULL_RELOAD_MS = 5 * 60_000

export class Wallboard extends EventEmitter<{ update: [WallboardUpdate]; snapshot: [WallboardSnapshot] }> {
  private facts = new Map<string, CallFact>()
  private day = ''
  private dayStart = 0
  private lastLogId = 0
  /** Queue-log ids already read within the look-back window. */
  private seenIds = new Set<number>()
  private loadedAt = 0
  private seq = 0
  private last: WallboardSnapshot | null = null
  private dirtySince: number | null = null
  private timer: NodeJS.Timeout | null = null
  private poller: NodeJS.Timeout | null = null
  private flushing: Promise<void> | null = null
  private lastFlushAt = 0
  private names = new Map<string, string>()
  /** When each agent was last seen signing out (this process only: after a restart, unknown). */
  private signedOutAt = new Map<string, number>()
  private closed = false
  private readonly minIntervalMs: number
  private readonly intervalMs: number

  constructor(private readonly o: WallboardOptions) {
    super()
    this.minIntervalMs = o.minIntervalMs ?? 250
    this.intervalMs = (o.chartIntervalMinutes ?? 15) * 60_000
  }

  /** Loads today and starts the poll; call once at start-up. */
  async start(): Promise<void> {
    await this.loadDay()
    await this.compute()
    const poll = this.o.pollMs ?? 2000
    this.poller = setInterval(() => this.markDirty(), poll)
    this.poller.unref()
  }

  /** The whole board, freshly computed if anything is pending (a reconnecting page starts here). */
  async snapshot(): Promise<WallboardSnapshot> {
    // Recomputed when anything is pending or it is over a second old (queues and lines may have
    // been reconfigured); concurrent callers share one flush, so a reconnect storm costs one.
    if (this.flushing) await this.flushing
    if (this.dirtySince !== null || !this.last || this.o.clock.now() - this.last.generatedAt > 1000) await this.flushNow()
    return this.last!
  }

  /** Something changed: push within minIntervalMs (or at once when the board has been quiet). */
  markDirty(at = this.o.clock.now()): void {
    if (this.closed) return
    if (this.dirtySince === null) this.dirtySince = at
    if (this.timer || this.flushing) return
    const wait = Math.max(0, this.lastFlushAt + this.minIntervalMs - Date.now())
    this.timer = setTimeout(() => { this.timer = null; void this.flushNow() }, wait)
    this.timer.unref()
  }

  /**
   * A signed-out agent's time in state counts from the sign-out this process saw (an agent on
   * the previous board and signed in there), not from midnight; null when it was not seen.
   */
  private signedOutSince(agentId: string, now: number): number | null {
    const before = this.last?.agents.find((x) => x.agentId === agentId)
    if (before && before.state !== 'signed-out') this.signedOutAt.set(agentId, now)
    return this.signedOutAt.get(agentId) ?? null
  }

  private flushNow(): Promise<void> {
    if (this.flushing) return this.flushing
    this.flushing = (async () => {
      try {
        const changedAt = this.dirtySince ?? this.o.clock.now()
        this.dirtySince = null
        this.lastFlushAt = Date.now()
        const previous = this.last
        // The live reads (agents, directory) do not depend on the facts: run both at once.
        const [rolled, live] = await Promise.all([this.refreshFacts(), this.readLive()])
        const next = await this.compute(live)
        if (rolled || !previous) this.emit('snapshot', next)
        else {
          const update = diff(previous, next, changedAt)
          if (update) this.emit('update', update)
        }
      } catch (err) {
        this.o.log.error({ err }, 'wallboard refresh failed')
      } finally {
        this.flushing = null
        // Changes that arrived during the flush get their own push, after the window.
        if (this.dirtySince !== null) { const d = this.dirtySince; this.dirtySince = null; this.markDirty(d) }
      }
    })()
    return this.flushing
  }

  private range(callIds?: string[]) {
    return { fromDay: this.day, toDay: addDays(this.day, 1), timeZone: this.o.timeZone, ...(callIds ? { callIds } : {}) }
  }

  private async loadDay(): Promise<void> {
    const now = this.o.clock.now()
    this.day = dayOf(now, this.o.timeZone)
    const [b] = await this.o.stats.days(this.range())
    this.dayStart = b?.start ?? now
    const [row] = await this.o.sql<{ max: string | null }[]>`select max(id)::text as max from queue_log`
    this.lastLogId = Number(row?.max ?? 0)
    this.seenIds = new Set()
    const facts = new Map<string, CallFact>()
    await this.o.stats.forEachCallFact(this.range(), (chunk) => { for (const f of chunk) facts.set(f.callId, f) })
    this.facts = facts
    this.loadedAt = Date.now()
  }

  /** Re-reads the calls with new queue-log rows; true when the day rolled over (full reload). */
  private async refreshFacts(): Promise<boolean> {
    if (dayOf(this.o.clock.now(), this.o.timeZone) !== this.day) {
      await this.loadDay()
      return true
    }
    // A row committed later than the look-back allows would be missed: re-read the day now and then.
    if (Date.now() - this.loadedAt > FULL_RELOAD_MS) {
      await this.loadDay()
      return false
    }
    // Row ids only (the primary key index); facts are re-read just for calls with rows not seen yet.
    const floor = Math.max(0, this.lastLogId - LOOKBACK_IDS)
    const rows = await this.o.sql<{ id: string; callId: string }[]>`select id::text, call_id::text from queue_log where id > ${floor}`
    const fresh = new Set<string>()
    for (const r of rows) {
      const id = Number(r.id)
      if (this.seenIds.has(id)) continue
      this.seenIds.add(id)
      fresh.add(r.callId)
      if (id > this.lastLogId) this.lastLogId = id
    }
    const keepFrom = Math.max(0, this.lastLogId - LOOKBACK_IDS)
    for (const id of this.seenIds) if (id <= keepFrom) this.seenIds.delete(id)
    if (fresh.size === 0) return false
    await this.o.stats.forEachCallFact(this.range([...fresh]), (chunk) => { for (const f of chunk) this.facts.set(f.callId, f) })
    return false
  }

  private async agentNames(ids: string[]): Promise<void> {
    const missing = ids.filter((id) => !this.names.has(id))
    if (missing.length === 0) return
    const rows = await this.o.sql<{ id: string; displayName: string }[]>`select id, display_name from users where id = any(${missing})`
    for (const r of rows) this.names.set(r.id, r.displayName)
  }

  private async readLive() {
    const [lineConfigs, queueConfigs, signedIn] = await Promise.all([this.o.directory.allLines(), this.o.directory.allQueues(), this.o.agents.listSignedIn()])
    const [profiles, calls] = await Promise.all([
      this.o.agentRecords.profiles(signedIn.map((a) => a.agentId)),
      Promise.all(signedIn.map((a) => (a.callId && (a.state === 'offered' || a.state === 'talking' || a.state === 'on-hold') ? this.o.liveCalls.get(a.callId) : null)))
    ])
    return { lineConfigs, queueConfigs, signedIn, profiles, calls }
  }

  private async compute(live?: Awaited<ReturnType<Wallboard['readLive']>>): Promise<WallboardSnapshot> {
    const { lineConfigs, queueConfigs, signedIn, profiles, calls } = live ?? await this.readLive()
    const now = this.o.clock.now()
    const figures = todayFigures(this.facts.values(),
      [...lineConfigs].sort((a, b) => (a.kind === 'main' ? -1 : b.kind === 'main' ? 1 : a.number < b.number ? -1 : 1))
        .map((l) => ({ key: l.number, name: l.name, queueId: l.queueId, kind: l.kind })),
      [...queueConfigs.values()].map((q) => ({ key: q.id, name: q.name })),
      this.o.thresholds)

    const queuesOf = new Map(profiles.map((p) => [p.agentId, p.queues]))
    for (const q of figures.queues) {
      const serving = signedIn.filter((a) => queuesOf.get(a.agentId)?.includes(q.key))
      q.agentsSignedIn = serving.length
      q.agentsReady = serving.filter((a) => a.state === 'ready').length
    }

    // Signed-in agents, and those who signed out after taking calls today (their count stays).
    const agentIds = [...new Set([...signedIn.map((a) => a.agentId), ...figures.answeredByAgent.keys()])]
    await this.agentNames(agentIds)
    const agentsById = new Map(signedIn.map((a) => [a.agentId, a]))
    const lineNames = new Map(lineConfigs.map((l) => [l.number, l.name]))
    const callOf = new Map(signedIn.map((a, i) => [a.agentId, calls[i] ?? null]))
    const agents: WallboardAgent[] = agentIds.sort().map((agentId) => {
      const a = agentsById.get(agentId)
      const c = callOf.get(agentId) ?? null
      return {
        agentId, name: this.names.get(agentId) ?? null,
        state: a?.state ?? 'signed-out', reason: a?.reason ?? null, since: a ? a.since : this.signedOutSince(agentId, now), seat: a?.seat ?? null,
        call: c ? {
          callId: c.callId, caller: maskCaller(c.callerNumber, this.o.maskCallers), lineNumber: c.lineNumber,
          lineName: c.lineNumber ? lineNames.get(c.lineNumber) ?? null : null, queueId: c.queueId, phase: c.phase,
          since: c.answeredAt ?? c.offeredAt ?? now
        } : null,
        answeredToday: figures.answeredByAgent.get(agentId) ?? 0
      }
    })
    const snapshot: WallboardSnapshot = {
      day: this.day, timeZone: this.o.timeZone, thresholds: this.o.thresholds, seq: ++this.seq, generatedAt: now,
      lines: figures.lines, queues: figures.queues, agents,
      chart: { intervalMinutes: this.intervalMs / 60_000, points: dayChart(this.facts.values(), this.dayStart, now, this.intervalMs, this.o.thresholds) }
    }
    this.last = snapshot
    return snapshot
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    if (this.poller) clearInterval(this.poller)
  }
}

/** Rows whose content changed (by key), agents gone, and the chart when it moved. */
function diff(prev: WallboardSnapshot, next: WallboardSnapshot, changedAt: number): WallboardUpdate | null {
  const changed = <T extends object>(a: readonly T[], b: readonly T[], key: (x: T) => string): T[] => {
    const before = new Map(a.map((x) => [key(x), JSON.stringify(x)]))
    return b.filter((x) => before.get(key(x)) !== JSON.stringify(x))
  }
  const rowKey = (r: WallboardRow) => r.key
  const lines = changed(prev.lines, next.lines, rowKey)
  const queues = changed(prev.queues, next.queues, rowKey)
  const agents = changed(prev.agents, next.agents, (a) => a.agentId)
  const nextIds = new Set(next.agents.map((a) => a.agentId))
  const removedAgents = prev.agents.filter((a) => !nextIds.has(a.agentId)).map((a) => a.agentId)
  // The last point's `at` is "now" and moves on every flush; only its counts matter.
  // Only the points from the first changed one on (usually the current interval's) are sent.
  const same = (a: WallboardPoint | undefined, b: WallboardPoint) => a !== undefined && a.waiting === b.waiting && a.offered === b.offered && a.serviceLevel15 === b.serviceLevel15
  let from = next.chart.points.findIndex((p, i) => !same(prev.chart.points[i], p))
  if (from === -1 && prev.chart.points.length !== next.chart.points.length) from = Math.min(prev.chart.points.length, next.chart.points.length)
  const chartChanged = from !== -1
  if (!lines.length && !queues.length && !agents.length && !removedAgents.length && !chartChanged) return null
  return {
    day: next.day, seq: next.seq, generatedAt: next.generatedAt, changedAt,
    ...(lines.length ? { lines } : {}), ...(queues.length ? { queues } : {}), ...(agents.length ? { agents } : {}),
    ...(removedAgents.length ? { removedAgents } : {}), ...(chartChanged ? { chart: { intervalMinutes: next.chart.intervalMinutes, from, points: next.chart.points.slice(from) } } : {})
  }
}
