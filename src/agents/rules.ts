/**
 * The agent state machine as one pure function. It never touches Redis, Asterisk or a clock:
 * callers pass `now` and get the next state or a rejection saying why.
 */
import { localDay } from '../domain/local-time.ts'
import { SYSTEM_REASONS, type AgentEvent, type AgentLive, type AgentStateName } from './model.ts'

export interface AgentRejection {
  code: 'INVALID_TRANSITION' | 'WRONG_CALL' | 'UNKNOWN_REASON'
  message: string
  from: AgentStateName
  event: AgentEvent['type']
}

export type AgentTransition = { ok: true; next: AgentLive; changed: boolean } | { ok: false; rejection: AgentRejection }

export interface AgentPolicy {
  /** Not-ready reasons an agent may choose (configurable per center). */
  notReadyReasons: readonly string[]
  /** Longest wrap-up an agent may extend to, in seconds. */
  maxWrapUpSeconds: number
}

const reject = (agent: AgentLive, event: AgentEvent, code: AgentRejection['code'], message: string): AgentTransition =>
  ({ ok: false, rejection: { code, message, from: agent.state, event: event.type } })

const invalid = (agent: AgentLive, event: AgentEvent): AgentTransition =>
  reject(agent, event, 'INVALID_TRANSITION', `cannot ${event.type} while ${agent.state}`)

function moved(agent: AgentLive, now: number, patch: Partial<AgentLive>): AgentTransition {
  // Time in state restarts when the state or its reason changes, not on bookkeeping changes.
  const restarts = (patch.state !== undefined && patch.state !== agent.state) || (patch.reason !== undefined && patch.reason !== agent.reason)
  const next: AgentLive = { ...agent, ...patch, since: restarts ? now : agent.since, version: agent.version + 1 }
  return { ok: true, next, changed: true }
}

const unchanged = (agent: AgentLive): AgentTransition => ({ ok: true, next: agent, changed: false })

/** States in which the agent has no call and may be moved freely. */
const IDLE: ReadonlySet<AgentStateName> = new Set(['ready', 'not-ready', 'wrap-up'])

/** The agent's working day (YYYY-MM-DD, the center's calendar): daily counters restart when it turns. */
export function dayOf(now: number, timeZone: string): string {
  return localDay(now, timeZone)
}

export function transitionAgent(agent: AgentLive, event: AgentEvent, now: number, policy: AgentPolicy): AgentTransition {
  const sameCall = (callId: string) => agent.callId === callId
  switch (event.type) {
    case 'sign-in':
      if (agent.state !== 'signed-out') {
        return agent.seat === event.seat ? unchanged(agent) : invalid(agent, event)
      }
      return moved(agent, now, { state: 'not-ready', reason: SYSTEM_REASONS.signedIn, seat: event.seat, callId: null, wrapUpUntil: null, pendingNotReady: null, idleSince: now })

    case 'sign-out':
    case 'force-sign-out':
      if (agent.state === 'signed-out') return unchanged(agent)
      if (!IDLE.has(agent.state)) return invalid(agent, event)
      return moved(agent, now, { state: 'signed-out', seat: null, reason: null, callId: null, wrapUpUntil: null, pendingNotReady: null })

    case 'set-ready':
      if (agent.state === 'ready') return unchanged(agent)
      if (agent.state !== 'not-ready' && agent.state !== 'wrap-up') return invalid(agent, event)
      return moved(agent, now, { state: 'ready', reason: null, callId: null, wrapUpUntil: null, pendingNotReady: null })

    case 'set-not-ready':
    case 'force-not-ready': {
      if (event.type === 'set-not-ready' && !policy.notReadyReasons.includes(event.reason)) {
        return reject(agent, event, 'UNKNOWN_REASON', `not-ready reason '${event.reason}' is not one of: ${policy.notReadyReasons.join(', ')}`)
      }
      if (agent.state === 'signed-out') return invalid(agent, event)
      if (agent.state === 'offered' || agent.state === 'talking' || agent.state === 'on-hold') {
        // Asked for during a call: applied when the call ends instead of wrap-up's return to ready.
        return moved(agent, now, { pendingNotReady: event.reason })
      }
      if (agent.state === 'not-ready' && agent.reason === event.reason) return unchanged(agent)
      return moved(agent, now, { state: 'not-ready', reason: event.reason, callId: null, wrapUpUntil: null, pendingNotReady: null })
    }

    case 'offer':
      if (agent.state !== 'ready') return invalid(agent, event)
      return moved(agent, now, { state: 'offered', callId: event.callId })

    case 'offer-answered':
      if (agent.state !== 'offered') return invalid(agent, event)
      if (!sameCall(event.callId)) return reject(agent, event, 'WRONG_CALL', `agent was offered ${agent.callId}, not ${event.callId}`)
      return moved(agent, now, { state: 'talking', callsToday: agent.callsToday + 1 })

    case 'offer-missed':
      if (agent.state !== 'offered' || !sameCall(event.callId)) return invalid(agent, event)
      return moved(agent, now, { state: 'not-ready', reason: SYSTEM_REASONS.missedCall, callId: null, pendingNotReady: null })

    case 'offer-withdrawn':
      if (agent.state !== 'offered' || !sameCall(event.callId)) return invalid(agent, event)
      if (agent.pendingNotReady) {
        return moved(agent, now, { state: 'not-ready', reason: agent.pendingNotReady, callId: null, pendingNotReady: null })
      }
      return moved(agent, now, { state: 'ready', callId: null })

    case 'hold':
      if (agent.state !== 'talking' || !sameCall(event.callId)) return invalid(agent, event)
      return moved(agent, now, { state: 'on-hold' })

    case 'unhold':
      if (agent.state !== 'on-hold' || !sameCall(event.callId)) return invalid(agent, event)
      return moved(agent, now, { state: 'talking' })

    case 'call-ended': {
      if ((agent.state !== 'talking' && agent.state !== 'on-hold') || !sameCall(event.callId)) return invalid(agent, event)
      if (agent.pendingNotReady) {
        return moved(agent, now, { state: 'not-ready', reason: agent.pendingNotReady, callId: null, pendingNotReady: null, idleSince: now })
      }
      if (event.wrapUpSeconds <= 0) return moved(agent, now, { state: 'ready', callId: null, idleSince: now })
      return moved(agent, now, { state: 'wrap-up', wrapUpUntil: now + event.wrapUpSeconds * 1000, idleSince: now })
    }

    case 'extend-wrap-up': {
      if (agent.state !== 'wrap-up' || agent.wrapUpUntil === null) return invalid(agent, event)
      const limit = agent.since + policy.maxWrapUpSeconds * 1000
      return moved(agent, now, { wrapUpUntil: Math.min(limit, Math.max(agent.wrapUpUntil, now) + event.seconds * 1000) })
    }

    case 'wrap-up-expired':
      if (agent.state !== 'wrap-up') return unchanged(agent)
      if (agent.wrapUpUntil !== null && agent.wrapUpUntil > now) return unchanged(agent)
      return moved(agent, now, { state: 'ready', callId: null, wrapUpUntil: null })

    default: {
      const exhaustive: never = event
      return exhaustive
    }
  }
}

/** Counters roll over at the center's midnight, not the server's. */
export function rollDay(agent: AgentLive, today: string): AgentLive {
  return agent.callsDay === today ? agent : { ...agent, callsDay: today, callsToday: 0 }
}
