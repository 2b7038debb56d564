/**
 * Timers as data: a due time (ms epoch, on the project's clock) per owner and kind, armed by
 * one service. The owner's record holds the due times (a call's ring guard, overflow,
 * announcement, callback offer, rejoin grace), so a restarted server, or another node, re-arms
 * exactly what was pending by syncing from the record; tests drive time through the port.
 */
import type { Clock } from './clock.ts'

/** Fires `fn` once the clock reaches `at`. */
export interface TimerPort {
  at(at: number, fn: () => void): { cancel(): void }
}

/** Real time: a timer that does not hold the process open, re-checked against the clock. */
export function clockTimers(clock: Clock): TimerPort {
  return {
    at(at, fn) {
      let t: NodeJS.Timeout
      const arm = () => {
        // Timers run on a monotonic clock and may fire a moment early by the project's clock.
        t = setTimeout(() => { if (clock.now() >= at) fn(); else arm() }, Math.max(0, at - clock.now()))
        t.unref()
      }
      arm()
      return { cancel: () => clearTimeout(t) }
    }
  }
}

export type DueTimes<K extends string> = Partial<Record<K, number | null>>

export class DueTimers<K extends string> {
  private readonly armed = new Map<string, Map<K, { at: number; cancel(): void }>>()

  constructor(private readonly port: TimerPort, private readonly fire: (owner: string, kind: K, at: number) => void) {}

  /** Makes the armed timers of `owner` match `due`: new ones armed, changed ones moved, absent ones cancelled. */
  sync(owner: string, due: DueTimes<K> | undefined): void {
    const mine = this.armed.get(owner) ?? new Map<K, { at: number; cancel(): void }>()
    const wanted = new Map(Object.entries(due ?? {}).filter(([, at]) => typeof at === 'number') as [K, number][])
    for (const [kind, timer] of mine) {
      if (wanted.get(kind) !== timer.at) { timer.cancel(); mine.delete(kind) }
    }
    for (const [kind, at] of wanted) {
      if (mine.has(kind)) continue
      const handle = this.port.at(at, () => {
        if (mine.get(kind)?.at === at) mine.delete(kind)
        if (mine.size === 0 && this.armed.get(owner) === mine) this.armed.delete(owner)
        this.fire(owner, kind, at)
      })
      mine.set(kind, { at, cancel: handle.cancel })
    }
    if (mine.size > 0) this.armed.set(owner, mine)
    else this.armed.delete(owner)
  }

  clear(owner: string): void {
    this.sync(owner, {})
  }

  clearAll(): void {
    for (const owner of [...this.armed.keys()]) this.clear(owner)
  }

  /** What is armed for `owner` (tests, diagnostics). */
  pending(owner: string): DueTimes<K> {
    return Object.fromEntries([...(this.armed.get(owner) ?? new Map<K, { at: number }>())].map(([k, v]) => [k, v.at])) as DueTimes<K>
  }
}
