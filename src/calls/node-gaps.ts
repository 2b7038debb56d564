/**
 * Callers while no server node serves the Stasis app (a node crashed, is restarting or slow to
 * start): pure rules, no I/O.
 *
 * When did the citizen really call? The dialplan (dialplans/extensions.conf, from-trunk) stamps
 * the moment a call reached the PBX and passes it as the inbound Stasis entry's second argument
 * (milliseconds since the epoch). While no server node serves the Stasis app, the PBX answers,
 * plays the greeting and music and retries; the node that finally takes the call must queue it
 * from that moment, so its place and its wait count the time the PBX held it.
 */

/** Longer than a Stasis() that succeeds at once, shorter than one round of the PBX's retry loop (1 s). */
export const PBX_HOLD_THRESHOLD_MS = 500
/** A stamp older than this is not a held call but a broken clock or argument: ignored. */
export const PBX_HOLD_LIMIT_MS = 24 * 3600 * 1000

import type { CallOutcome, CallPhase, EndedBy } from './model.ts'
import type { QueueLogEvent } from './store.ts'

export interface PbxArrival {
  /** When the call reached the PBX (now if the dialplan gave no usable stamp). */
  arrivedAt: number
  /** The PBX answered and held the caller because no node took the call: the greeting was played already. */
  heldByPbx: boolean
}

export function pbxArrival(stamp: string | undefined, now: number): PbxArrival {
  const at = stamp !== undefined && /^\d{10,16}$/.test(stamp) ? Number(stamp) : NaN
  // A stamp a little ahead of us is clock drift between the PBX and this node: take now.
  if (!Number.isFinite(at) || at > now || now - at > PBX_HOLD_LIMIT_MS) return { arrivedAt: now, heldByPbx: false }
  return { arrivedAt: at, heldByPbx: now - at > PBX_HOLD_THRESHOLD_MS }
}

/**
 * A call the node knew, whose caller channel is gone when a node reconnects: did the caller hang
 * up while no node listened, or did the PBX itself go down with the call? Only a changed PBX start
 * time (GET /asterisk/info) means the PBX restarted. A caller who hung up while waiting is
 * abandoned like any other; a talking call ended normally, its end unseen.
 */
export function vanishedCallerOutcome(phase: CallPhase, pbxRestarted: boolean): { outcome: CallOutcome; logEvent: QueueLogEvent | null; endedBy: EndedBy } {
  if (phase === 'talking') return { outcome: 'answered', logEvent: pbxRestarted ? 'pbx-lost' : 'completed', endedBy: 'system' }
  if (pbxRestarted) return { outcome: 'pbx-lost', logEvent: 'pbx-lost', endedBy: 'system' }
  // Hung up during the greeting: never queued, so no queue-log line (as when a node sees it).
  return { outcome: 'abandoned', logEvent: phase === 'greeting' ? null : 'abandoned', endedBy: 'caller' }
}
