/**
 * The follow-up dialer's pace: the passes that turn due tasks into claimed attempts.
 *
 * A pass (on a timer in production, by hand in tests, with the Clock port giving `now`) looks
 * at each trunk: how many calls it may still carry (concurrency from the attempt rows, pace
 * from a token bucket: dialer/rules.ts), which campaigns are inside a calling window, and claims
 * that many due tasks. Claiming writes the attempt row; the claimed calls are then handed to
 * `dial` (the attempt's life cycle: scheduler.ts), spread over the trunk at its pace.
 */
import type { Logger } from 'pino'
import type { Clock } from '../domain/clock.ts'
import type { Trunk } from '../dialer/model.ts'
import { callSpacingMs, catchUpBurst, concurrencyLeft, isWithinWindows, refill, type Bucket } from '../dialer/rules.ts'
import type { Campaign, ClaimedFollowUp } from './model.ts'
import { campaignForLine } from './rules.ts'
import type { FollowUpStore } from './store.ts'

export interface PacerDeps {
  /** Reads the campaigns and trunks. */
  store: FollowUpStore
  /** Counts open attempts and claims due tasks (a connection of its own). */
  pacing: FollowUpStore
  clock: Clock
  log: Logger
  settings: { timeZone: string; tickMs: number }
  /** Places one claimed attempt's call. */
  dial: (claimed: ClaimedFollowUp, campaign: Campaign, dialTemplate: string) => Promise<void>
}

export class FollowUpPacer {
  private readonly buckets = new Map<string, Bucket>()
  private ticking: Promise<number> | null = null
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  /** Originations under way (the timer's passes leave them running). */
  private readonly placing = new Set<Promise<void>>()
  private cached: { at: number; campaigns: Campaign[]; trunks: Trunk[] } | null = null

  constructor(private readonly deps: PacerDeps) {}

  /** Starts the passes; again after a stop (a node that drives the calls again after standing by). */
  start(): void {
    this.stopped = false
    if (this.deps.settings.tickMs <= 0 || this.timer) return
    // The timer's passes do not wait for their calls to be placed: a slow originate (a busy PBX)
    // must not hold back the next due task, or the pace falls behind the due times.
    this.timer = setInterval(() => { void this.pass(false).catch((err) => this.deps.log.error({ err }, 'dialer tick failed')) }, this.deps.settings.tickMs)
    this.timer.unref()
  }

  /** No more passes; resolves when the pass under way and the calls being placed are done. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    this.timer = undefined
    await this.ticking
    await Promise.all(this.placing)
  }

  /** One scheduling pass; returns how many calls it placed, once they are placed. Overlapping calls share one pass. */
  tick(): Promise<number> {
    return this.pass(true)
  }

  /** Forget the cached campaigns and trunks (they were changed). */
  invalidate(): void {
    this.cached = null
  }

  private async pass(waitForCalls: boolean): Promise<number> {
    if (this.stopped) return 0
    if (!this.ticking) this.ticking = this.passOnce().finally(() => { this.ticking = null })
    const placed = await this.ticking
    if (waitForCalls) await Promise.all(this.placing)
    return placed
  }

  private async passOnce(): Promise<number> {
    const { clock, settings, pacing: store } = this.deps
    const now = clock.now()
    const { campaigns, trunks } = await this.settingsNow(now)
    let placed = 0
    for (const trunk of trunks) {
      const running = campaigns.filter((c) => c.trunkId === trunk.id && c.state === 'running')
      if (running.length === 0) continue
      const open = running.filter((c) => isWithinWindows(now, c.windows, settings.timeZone)).map((c) => c.id)
      const bucket = refill(this.buckets.get(trunk.id), now, trunk.callsPerSecond, catchUpBurst(trunk.callsPerSecond))
      // No token, no query: the trunk's open attempts are counted only when a call may be placed.
      if (Math.floor(bucket.tokens) <= 0) { this.buckets.set(trunk.id, bucket); continue }
      const free = concurrencyLeft(trunk.maxConcurrent, await store.activeOnTrunk(trunk.id))
      const limit = Math.min(free, Math.floor(bucket.tokens))
      if (limit <= 0) { this.buckets.set(trunk.id, bucket); continue }
      const claimed = await store.claimFollowUps({
        now, trunkId: trunk.id, open, running: running.map((c) => c.id), limit,
        campaignOf: (line) => campaignForLine(campaigns, line)?.id ?? 'default'
      })
      this.buckets.set(trunk.id, { tokens: bucket.tokens - claimed.length, at: bucket.at })
      // The claimed attempts are already recorded: place their calls side by side, without
      // holding the pass (the next one may claim while these are still being originated).
      const spacingMs = callSpacingMs(trunk.callsPerSecond)
      for (const [i, c] of claimed.entries()) {
        const campaign = campaigns.find((k) => k.id === c.campaignId) ?? campaigns.find((k) => k.id === 'default')!
        const p: Promise<void> = (i === 0 ? Promise.resolve() : new Promise<void>((r) => setTimeout(r, i * spacingMs)))
          .then(() => this.deps.dial(c, campaign, trunk.dialTemplate))
          .catch((err) => this.deps.log.error({ err, taskId: c.taskId }, 'placing a follow-up call failed'))
          .finally(() => { this.placing.delete(p) })
        this.placing.add(p)
      }
      placed += claimed.length
    }
    return placed
  }

  /** Campaigns and trunks, read at most once a second: a change applies within a second. */
  private async settingsNow(now: number): Promise<{ campaigns: Campaign[]; trunks: Trunk[] }> {
    if (!this.cached || Math.abs(now - this.cached.at) >= 1000) {
      this.cached = { at: now, campaigns: await this.deps.store.campaigns(), trunks: await this.deps.store.trunks() }
    }
    return this.cached
  }
}
