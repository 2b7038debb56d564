/**
 * The dialer kernel's rules, pure: calling windows in the center's zone, what becomes of a task
 * after an attempt (back-off, the attempt limit), how an unanswered call ended, pacing per trunk
 * (a token bucket and the concurrency left) and the trunk's dial string. `now` is passed in.
 */
import { localParts, zonedInstant } from '../domain/local-time.ts'
import { numberPlanRefusal, type NumberPlan } from '../number-plan/rules.ts'
import { HANGUP_CAUSE } from '../pbx/ari/events.ts'
import type { AttemptOutcome, CallingWindow, RetryPolicy } from './model.ts'

const MINUTE_MS = 60_000
const DAY_MINUTES = 24 * 60

const HHMM = /^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$/

export function minutesOf(hhmm: string): number {
  if (!HHMM.test(hhmm)) throw new RangeError(`not a time of day: ${hhmm}`)
  const [h, m] = hhmm.split(':').map(Number)
  return h! * 60 + m!
}

/** Why a list of windows is unusable, or null. Windows must be ordered and must not overlap. */
export function windowsProblem(windows: readonly CallingWindow[]): string | null {
  if (windows.length === 0) return 'at least one calling window is needed'
  let end = -1
  for (const [i, w] of windows.entries()) {
    if (!HHMM.test(w.from) || !HHMM.test(w.to)) return `window ${i + 1}: times are HH:MM (00:00 to 24:00)`
    const from = minutesOf(w.from)
    const to = minutesOf(w.to)
    if (from >= to) return `window ${i + 1}: 'from' must be before 'to'`
    if (from < end) return `window ${i + 1}: windows must be in order and must not overlap`
    end = to
  }
  return null
}

export function isWithinWindows(now: number, windows: readonly CallingWindow[], timeZone: string): boolean {
  const { minutes } = localParts(now, timeZone)
  return windows.some((w) => minutes >= minutesOf(w.from) && minutes < minutesOf(w.to))
}

/** `now` when inside a window, else the next window's opening (looks a week ahead). */
export function nextWindowOpening(now: number, windows: readonly CallingWindow[], timeZone: string): number {
  if (isWithinWindows(now, windows, timeZone)) return now
  const today = localParts(now, timeZone)
  for (let d = 0; d <= 7; d += 1) {
    const base = new Date(Date.UTC(today.year, today.month - 1, today.day + d))
    for (const w of windows) {
      const at = zonedInstant(base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate(), minutesOf(w.from), timeZone)
      if (at > now) return at
    }
  }
  return now + DAY_MINUTES * MINUTE_MS
}

export type AttemptDecision =
  | { kind: 'done' }
  | { kind: 'cancelled' }
  | { kind: 'retry'; dueAt: number; tries: number }
  | { kind: 'unreachable'; reason: AttemptOutcome; tries: number }

/**
 * What becomes of a task after an attempt. `tries` counts the attempts that reached the
 * network before this one; a lost attempt (the server died, the outcome is unknown) is not
 * counted and the task is due again at once. Retries wait retryMinutes[tries-1] (the last
 * value repeats) and then for the next calling window.
 */
export function afterAttempt(input: {
  outcome: AttemptOutcome
  tries: number
  now: number
  policy: RetryPolicy
  timeZone: string
  /** Callbacks are not bound to the follow-up windows. */
  ignoreWindows?: boolean
}): AttemptDecision {
  const { outcome, now, policy } = input
  if (outcome === 'evaluated' || outcome === 'connected') return { kind: 'done' }
  if (outcome === 'cancelled' || outcome === 'ticket-changed') return { kind: 'cancelled' }
  if (outcome === 'lost') return { kind: 'retry', dueAt: now, tries: input.tries }
  const tries = input.tries + 1
  if (tries >= policy.maxAttempts) return { kind: 'unreachable', reason: outcome, tries }
  const waits = policy.retryMinutes.length > 0 ? policy.retryMinutes : [30]
  const wait = waits[Math.min(tries, waits.length) - 1]! * MINUTE_MS
  const earliest = now + wait
  const dueAt = input.ignoreWindows ? earliest : nextWindowOpening(earliest, policy.windows, input.timeZone)
  return { kind: 'retry', dueAt, tries }
}

/** How an originated call that never answered ended, from its Q.850 cause. */
export function unansweredOutcome(cause: number | null): AttemptOutcome {
  if (cause === HANGUP_CAUSE.userBusy || cause === HANGUP_CAUSE.callRejected) return 'busy'
  if (cause === HANGUP_CAUSE.noAnswer || cause === HANGUP_CAUSE.noUserResponse || cause === HANGUP_CAUSE.normalClearing || cause === 0 || cause === null) return 'no-answer'
  return 'failed'
}

/** A token bucket per trunk: `rate` calls per second, bursts of at most `burst`. */
export interface Bucket { tokens: number; at: number }

/**
 * Half a second's worth of calls: a scheduler pass that ran late (a busy machine) may catch up
 * within that, but never bursts a whole second's calls onto the trunk at once.
 */
export const burstFor = (rate: number): number => Math.max(1, Math.ceil(rate / 2))

/** The bucket filled up to `now` (nothing taken). */
export function refill(bucket: Bucket | undefined, now: number, rate: number, burst = burstFor(rate)): Bucket {
  const start = bucket ?? { tokens: burst, at: now }
  return { tokens: Math.min(burst, start.tokens + (Math.max(0, now - start.at) / 1000) * rate), at: Math.max(now, start.at) }
}

export function takeToken(bucket: Bucket | undefined, now: number, rate: number, burst = burstFor(rate)): { ok: boolean; bucket: Bucket } {
  const { tokens } = refill(bucket, now, rate, burst)
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, at: now } }
  return { ok: false, bucket: { tokens, at: now } }
}

/**
 * The burst a scheduler pass may use: up to a second's calls, so a pass that ran late (a loaded
 * database answers a pass in hundreds of ms) catches up instead of losing the tokens; the calls
 * it claims are still spread over the trunk at its pace (callSpacingMs), never sent at once.
 */
export const catchUpBurst = (rate: number): number => Math.max(burstFor(rate), Math.ceil(rate))

/** ms between two calls placed on a trunk paced at `rate` calls per second. */
export const callSpacingMs = (rate: number): number => 1000 / Math.max(0.001, rate)

/** How many attempts may start now on a trunk: the concurrency left, at most. */
export function concurrencyLeft(maxConcurrent: number, active: number): number {
  return Math.max(0, maxConcurrent - active)
}

/** Fills a trunk's dial template: PJSIP/{number}@{trunk}. Only dialable characters pass. */
export function dialEndpoint(template: string, trunkId: string, number: string, plan: NumberPlan): string {
  if (!/^\+?[0-9*#]{2,32}$/.test(number)) throw new RangeError(`not a dialable number: ${number}`)
  // The number plan (HOTLINE_NUMBER_PLAN) is the last word on every number the dialer places.
  const refusal = numberPlanRefusal(plan, number)
  if (refusal) throw new RangeError(refusal)
  return template.replaceAll('{number}', number).replaceAll('{trunk}', trunkId)
}

/**
 * Where an open attempt stands against the PBX, after a restart, a reconnect or on the sweep:
 * - 'current': this process holds it and it is not placed yet, or its channel is still up: nothing to do;
 * - 'vanished': this process placed it and its channel is gone: its end was lost in an event gap, close it;
 * - 'orphaned': no call state here holds it (another process's, or from before a restart): each
 *   dialer decides (lost, or adopted when its channel lives on).
 */
export type AttemptStanding = 'current' | 'vanished' | 'orphaned'

/**
 * `listedAt` is when the PBX's channel list was asked for: an attempt placed while the list was
 * on its way (list asked for, attempt dialled, attempts read) cannot be in it yet, and is current.
 * Both dialers (follow-ups, callbacks) read the clock before they ask for the list.
 */
export function attemptStanding(attempt: { channelId: string; dialledAt: number | null }, liveChannels: { has(channelId: string): boolean }, heldHere: boolean, listedAt: number): AttemptStanding {
  if (!heldHere) return 'orphaned'
  if (attempt.dialledAt === null || liveChannels.has(attempt.channelId)) return 'current'
  if (attempt.dialledAt >= listedAt) return 'current'
  return 'vanished'
}
