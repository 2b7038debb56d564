/**
 * The call's decisions, pure: what a waiting caller's timers are, what the end of the agent's
 * leg means, whether a seat may rejoin, what the position announcement says, and what a
 * restart does with each live call. The call flow (service.ts and the files beside it) reads
 * the facts, asks these, and carries the answer out through ARI, Redis and PostgreSQL.
 */
import { HANGUP_CAUSE } from '../pbx/ari/events.ts'
import type { CallTimer, LiveCall } from './model.ts'

export interface WaitingPolicy {
  /** From lines/rules.ts overflowPlan: when (from now) and where the caller overflows; null: never. */
  overflow: { afterMs: number; targetQueueId: string } | null
  announceEverySeconds: number | null
  /** The callback offer this long after the caller's first entry; 0: never. */
  callbackOfferAfterMs: number
}

/**
 * A waiting caller's due times, armed on entering a queue and again after every overflow,
 * announcement and failed offer. The callback offer counts from the first entry and is heard
 * once (never on a callback's own call); one overdue is due now.
 */
export function waitingTimers(call: Pick<LiveCall, 'queuedAt' | 'arrivedAt' | 'callbackOf' | 'callbackOfferedAt'>, now: number, policy: WaitingPolicy): { due: Partial<Record<CallTimer, number | null>>; overflowTo: string | null } {
  const entered = call.queuedAt ?? call.arrivedAt
  const offerAt = policy.callbackOfferAfterMs > 0 && !call.callbackOf && !call.callbackOfferedAt ? Math.max(now, entered + policy.callbackOfferAfterMs) : null
  return {
    due: {
      overflow: policy.overflow ? now + policy.overflow.afterMs : null,
      announce: policy.announceEverySeconds ? now + policy.announceEverySeconds * 1000 : null,
      callbackOffer: offerAt
    },
    overflowTo: policy.overflow ? policy.overflow.targetQueueId : null
  }
}

export interface RejoinPolicy {
  graceMs: number
  seatRejoins: (seat: string) => boolean
  /** Lost legs one call may wait out; the next one ends the call. 0 or absent: no limit. */
  maxRejoins?: number
}

/**
 * A WebRTC seat's leg of a talking call was lost: 'rejoin' (the caller waits, the count is
 * now rejoinCount) or 'limit' (this call already waited for maxRejoins lost legs, as a seat
 * whose media never connects does every rtp_timeout: the call ends, the agent goes not ready).
 */
export function rejoinDecision(call: Pick<LiveCall, 'rejoinCount'>, policy: Pick<RejoinPolicy, 'maxRejoins'>): { action: 'rejoin'; rejoinCount: number } | { action: 'limit'; rejoinCount: number } {
  const count = call.rejoinCount ?? 0
  const max = policy.maxRejoins ?? 0
  if (max > 0 && count >= max) return { action: 'limit', rejoinCount: count }
  return { action: 'rejoin', rejoinCount: count + 1 }
}

/** Whether the call's seat is one that rejoins (a WebRTC seat, rejoin on). */
export function seatMayRejoin(call: Pick<LiveCall, 'seat'>, policy: RejoinPolicy | undefined): boolean {
  return !!policy && policy.graceMs > 0 && !!call.seat && policy.seatRejoins(call.seat)
}

export type AgentLegEnd =
  /** While ringing: the seat refused (busy, rejected) or did not answer. */
  | 'offer-rejected' | 'ring-no-answer'
  /** Talking: the caller waits on music while the seat dials back in. */
  | 'wait-for-rejoin'
  /** Talking: the agent's side ended the call. */
  | 'ended-by-agent'
  | 'nothing'

/**
 * The agent's leg ended (cause: Q.850, null when unknown). A WebRTC seat's leg that ends
 * mid-call without the agent hanging up through the server is a reload or a blip, not a
 * hang-up; after a transfer the leg is the target's and its end ends the call.
 */
export function agentLegEnded(call: Pick<LiveCall, 'phase' | 'seat' | 'handedOffTo' | 'agentHangingUp'>, cause: number | null, rejoin: RejoinPolicy | undefined): AgentLegEnd {
  switch (call.phase) {
    case 'offered':
      return cause === HANGUP_CAUSE.userBusy || cause === HANGUP_CAUSE.callRejected ? 'offer-rejected' : 'ring-no-answer'
    case 'talking':
      return !call.handedOffTo && !call.agentHangingUp && seatMayRejoin(call, rejoin) ? 'wait-for-rejoin' : 'ended-by-agent'
    case 'greeting':
    case 'queued':
    case 'ended':
      return 'nothing'
    default: {
      const exhaustive: never = call.phase
      return exhaustive
    }
  }
}

/**
 * "您前面还有 N 位来电在等待，预计等待时间约 M 分钟": the prompts, with N and M capped at 20 (the
 * recorded numbers) and M at least one minute.
 */
export function positionAnnouncement(position: number, expectedWaitSeconds: number): string[] {
  const ahead = Math.min(20, Math.max(0, position - 1))
  const minutes = Math.min(20, Math.max(1, Math.ceil(expectedWaitSeconds / 60)))
  return ['position-prefix', `num-${ahead}`, 'position-suffix', 'wait-prefix', `num-${minutes}`, 'minutes'].map((p) => `sound:hotline/${p}`)
}

export type RestartAction =
  /** The caller's channel is gone: the call was lost with the PBX (or while nobody listened). */
  | 'lost'
  /** Ringing a seat whose channel is gone: a failed offer, the caller back to the head of the queue. */
  | 'offer-failed'
  /** The seat answered while no server listened: finish the connection. */
  | 'connect'
  /** Waiting for a rejoin: the wait goes on (its due time is in the record). */
  | 'rejoin-wait'
  /** Talking, the agent's leg is gone: as if it ended now. */
  | 'agent-leg-gone'
  /** Waiting: the queue place comes back if Redis lost it. */
  | 'requeue'
  /** Still in the greeting: queue now. */
  | 'enqueue'
  | 'keep'

/** What a restarted (or reconnected) server does with a live call, given the PBX's channels. */
export function afterRestart(call: Pick<LiveCall, 'phase' | 'callerChannelId' | 'agentChannelId' | 'agentLegLostAt'>, channels: { has(id: string): boolean; upAt(id: string): boolean }, rejoinOn: boolean): RestartAction {
  if (!channels.has(call.callerChannelId)) return 'lost'
  switch (call.phase) {
    case 'offered':
      if (!call.agentChannelId || !channels.has(call.agentChannelId)) return 'offer-failed'
      return channels.upAt(call.agentChannelId) ? 'connect' : 'keep'
    case 'talking':
      if (call.agentLegLostAt && rejoinOn) return 'rejoin-wait'
      return !call.agentChannelId || !channels.has(call.agentChannelId) ? 'agent-leg-gone' : 'keep'
    case 'queued':
      return 'requeue'
    case 'greeting':
      return 'enqueue'
    case 'ended':
      return 'keep'
    default: {
      const exhaustive: never = call.phase
      return exhaustive
    }
  }
}
