/**
 * A call machine with no PBX: steps a call through events and carries out its effects the way
 * effects.ts does (replies stepped at once, 'stop' on a vanished channel), but only on paper:
 * every effect is recorded, the clock moves only when a test moves it.
 */
import type { Call } from '../../../src/calls/call-state.ts'
import { dueTimes } from '../../../src/calls/call-state.ts'
import { step, type CallEvent, type CallPolicy, type Effect, type Step } from '../../../src/calls/machine.ts'
import type { QueueFacts } from '../../../src/calls/machine-types.ts'
import type { CallTimer } from '../../../src/calls/model.ts'
import type { LineConfig } from '../../../src/domain/lines.ts'

export const T0 = Date.parse('2026-12-02T02:00:00Z')
export const CALL_ID = '0b6f7c1e-6a55-4c35-9a1e-3f1f3b0e2a10'

const queue = (id: string, over: Partial<QueueFacts> = {}): QueueFacts => ({ id, wrapUpSeconds: 10, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null, ...over })

export const MAIN_LINE: LineConfig = {
  number: '12345', name: '12345', kind: 'main', queueId: 'general', greeting: null, priority: 0, hours: null, closedDates: [], overflowQueueId: null, overflowAfterSeconds: null
}

export function makePolicy(over: Partial<CallPolicy> = {}, queues: Partial<QueueFacts> = {}): CallPolicy {
  return {
    greetingLimitMs: 30_000, callbackOfferAfterMs: 0,
    rejoin: { graceMs: 30_000, seatRejoins: (seat) => seat.startsWith('80'), maxRejoins: 3 },
    queues: new Map([['general', queue('general', queues)], ['pool', queue('pool', { wrapUpSeconds: 20 })]]),
    lines: new Map([[MAIN_LINE.number, MAIN_LINE]]),
    ...over
  }
}

/** How the fake PBX answers the effects that can fail. */
export interface PbxFaults {
  originateFails?: boolean
  recordingFails?: boolean
  /** Another node claimed the queue entry first. */
  claimLost?: boolean
  /** Effect types whose channel is gone (ARI 404). */
  gone?: Effect['type'][]
}

export class Sim {
  call!: Call
  now = T0
  /** Effects carried out by the last `step`/`start`, in order. */
  ran: Effect[] = []
  refused: string | undefined
  stopped = false
  faults: PbxFaults = {}

  constructor(public policy: CallPolicy = makePolicy()) {}

  start(first: Step): this { this.ran = []; this.absorb(first); return this }

  send(event: CallEvent): this {
    this.ran = []
    this.absorb(step(this.call, event, this.now, this.policy))
    return this
  }

  advance(ms: number): this { this.now += ms; return this }

  /** Moves the clock to the call's `kind` due time and fires it. */
  fire(kind: CallTimer, extra: Partial<Extract<CallEvent, { type: 'timer' }>> = {}): this {
    const at = dueTimes(this.call)[kind]
    if (at === undefined) throw new Error(`no ${kind} timer is due (phase ${this.call.phase})`)
    this.now = Math.max(this.now, at)
    return this.send({ type: 'timer', kind, at, ...extra })
  }

  types(): string[] { return this.ran.map((e) => (e.type === 'notify' ? `notify:${e.event}` : e.type === 'queue-log' ? `queue-log:${e.event}` : e.type === 'write-call' ? `write-call:${e.what}` : e.type === 'agent' ? `agent:${e.event.type}` : e.type)) }

  of<T extends Effect['type']>(type: T): Extract<Effect, { type: T }>[] { return this.ran.filter((e): e is Extract<Effect, { type: T }> => e.type === type) }

  /** The records saved in this run, in order (the last is what Redis holds). */
  saved(): Call[] { return this.of('persist').map((e) => e.call) }

  private absorb(s: Step): void {
    this.call = s.call
    this.refused = s.refused
    this.stopped = false
    for (const e of s.effects) {
      this.ran.push(e)
      const reply = this.reply(e)
      if (reply === 'stop') { this.stopped = true; return }
      if (reply) { this.absorb(step(this.call, reply, this.now, this.policy)); return }
    }
  }

  private reply(e: Effect): CallEvent | 'stop' | undefined {
    const gone = this.faults.gone?.includes(e.type)
    switch (e.type) {
      case 'answer': case 'play': case 'create-bridge': case 'add-to-bridge':
        return gone && e.ifGone === 'stop' ? 'stop' : undefined
      case 'tag-channel': case 'join-hold':
        return !gone || e.ifGone === 'ignore' ? undefined : e.ifGone
      case 'originate-seat':
        return this.faults.originateFails ? { ...e.failed, error: 'seat unreachable' } as CallEvent : undefined
      case 'start-recording':
        return this.faults.recordingFails ? { type: 'recording', ok: false, error: 'no space' } : { type: 'recording', ok: true }
      case 'queue-remove':
        if (!e.claimed) return undefined
        return this.faults.claimLost ? 'stop' : e.claimed
      default:
        return undefined
    }
  }
}
export const policy = makePolicy
