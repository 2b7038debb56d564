/**
 * Call control's own state machine (hold, mute, DTMF, hang-up, blind and consult transfer),
 * pure: a command on the control state of a call gives the next state and the effects, or a
 * refusal; control.ts carries the effects out through ARI and the call flow. The state lives in
 * Redis per call beside the call's record, so a reloaded panel or another node sees it.
 */
import type { CallAction, CallControlView } from '../realtime/contract.ts'

export interface Consult { number: string; name: string; state: 'ringing' | 'talking'; channelId: string; blind: boolean }
export interface ControlState { held: boolean; muted: boolean; consult: Consult | null }
export interface TransferTarget { number: string; name: string; kind: 'emergency' | 'unit' }

export const EMPTY_CONTROL: ControlState = { held: false, muted: false, consult: null }

/** What a command needs to know of the call (its flat view). */
export interface ControlledCall { phase: 'offered' | 'talking'; callerChannelId: string; agentChannelId: string | null }

export type ControlEffect =
  /** The caller from the mixing bridge to the call's holding bridge, with music. */
  | { type: 'hold-caller' }
  /** The caller back into the mixing bridge (with the agent, or after a hand-off with the target). */
  | { type: 'connect-caller' }
  /** The agent's state machine follows (on-hold ⇄ talking). */
  | { type: 'agent'; event: 'hold' | 'unhold' }
  | { type: 'mute'; channelId: string; on: boolean }
  | { type: 'dtmf'; channelId: string; digits: string }
  | { type: 'hangup'; channelId: string; reason?: 'busy' }
  /** The call flow marks the agent's hang-up first (no rejoin), then hangs the leg up. */
  | { type: 'agent-hangup' }
  /** Dial the target into our Stasis app; a failure refuses the command ("could not dial"). */
  | { type: 'dial-target'; channelId: string; number: string }
  /** The target takes the agent's place (CallFlow hand-off); the agent's former leg is hung up. */
  | { type: 'hand-off'; targetChannelId: string }
  | { type: 'save'; state: ControlState }
  | { type: 'changed'; view: CallControlView }
  | { type: 'transferred'; number: string }
  | { type: 'log'; msg: string; fields?: Record<string, unknown> }

export type ControlDecision =
  | { ok: true; state: ControlState; effects: ControlEffect[] }
  | { ok: false; error: 'not-now' | 'invalid'; message: string }

export function controlView(st: ControlState): CallControlView {
  return { held: st.held, muted: st.muted, consult: st.consult ? { number: st.consult.number, name: st.consult.name, state: st.consult.state } : null }
}

const refuse = (error: 'not-now' | 'invalid', message: string): ControlDecision => ({ ok: false, error, message })

/**
 * A command from the agent's panel. `consultChannelId` is the id a transfer target's channel
 * gets if this command dials one (made by the edge: ids.ts).
 */
export function controlCommand(st: ControlState, call: ControlledCall, action: CallAction, args: { digits?: string; number?: string }, targets: readonly TransferTarget[], consultChannelId: string): ControlDecision {
  const fx: ControlEffect[] = []
  const done = (next: ControlState, extra: ControlEffect[] = []): ControlDecision => ({ ok: true, state: next, effects: [...fx, ...extra, { type: 'save', state: next }, { type: 'changed', view: controlView(next) }] })
  if (action === 'hangup') {
    // While ringing this is a rejection (busy). Talking, the call flow marks the hang-up as the
    // agent's first, so a WebRTC seat's leg ending is not mistaken for a dropped browser.
    if (call.phase === 'talking') fx.push({ type: 'agent-hangup' })
    else if (call.agentChannelId) fx.push({ type: 'hangup', channelId: call.agentChannelId, reason: 'busy' })
    fx.push({ type: 'log', msg: 'agent hung up from the panel' })
    return { ok: true, state: st, effects: fx }
  }
  if (call.phase !== 'talking') return refuse('not-now', `'${action}' needs a connected call; the call is still ringing`)
  const hold = (): ControlState => {
    if (st.held) return st
    fx.push({ type: 'hold-caller' }, { type: 'agent', event: 'hold' })
    return { ...st, held: true }
  }
  switch (action) {
    case 'hold':
      return done(hold())
    case 'unhold':
      if (st.consult) return refuse('not-now', 'a consultation is in progress: complete or cancel it first')
      if (!st.held) return done(st)
      fx.push({ type: 'connect-caller' }, { type: 'agent', event: 'unhold' })
      return done({ ...st, held: false })
    // No leg while waiting for a rejoin: the state is kept and applied to the new leg.
    case 'mute':
    case 'unmute': {
      const on = action === 'mute'
      if (st.muted === on) return done(st)
      if (call.agentChannelId) fx.push({ type: 'mute', channelId: call.agentChannelId, on })
      return done({ ...st, muted: on })
    }
    case 'dtmf': {
      const digits = args.digits ?? ''
      if (!/^[0-9*#A-D]{1,32}$/.test(digits)) return refuse('invalid', 'body.digits: 1 to 32 of 0-9 * # A-D')
      // Keys go to whoever the agent is talking to: the consulted party, else the caller.
      fx.push({ type: 'dtmf', channelId: st.consult?.state === 'talking' ? st.consult.channelId : call.callerChannelId, digits })
      return done(st)
    }
    case 'transfer':
    case 'consult': {
      const target = targets.find((x) => x.number === args.number)
      if (!target) return refuse('invalid', `body.number: '${args.number ?? ''}' is not a configured transfer target`)
      if (st.consult) return refuse('not-now', 'a consultation is already in progress')
      const held = hold()
      fx.push({ type: 'dial-target', channelId: consultChannelId, number: target.number })
      const consulting: ControlState = { ...held, consult: { number: target.number, name: target.name, state: 'ringing', channelId: consultChannelId, blind: action === 'transfer' } }
      if (action === 'transfer') {
        const completed = complete(consulting)
        return { ok: true, state: completed.state, effects: [...fx, { type: 'save', state: consulting }, ...completed.effects] }
      }
      return done(consulting, [{ type: 'log', msg: 'consulting a transfer target; caller on hold', fields: { number: target.number } }])
    }
    case 'consult-complete': {
      if (!st.consult || st.consult.state !== 'talking') return refuse('not-now', 'no answered consultation to complete')
      const completed = complete(st)
      return { ok: true, state: completed.state, effects: completed.effects }
    }
    case 'consult-cancel':
      if (!st.consult) return refuse('not-now', 'no consultation in progress')
      fx.push({ type: 'hangup', channelId: st.consult.channelId }, { type: 'connect-caller' }, { type: 'agent', event: 'unhold' })
      return done({ ...st, consult: null, held: false })
    default: {
      const exhaustive: never = action
      return exhaustive
    }
  }
}

/**
 * Puts the target in the agent's place: the call flow hands the call off (agent to wrap-up),
 * the agent's leg is hung up, and the caller joins the target in the call's bridge (for a
 * blind transfer once the target answers).
 */
function complete(st: ControlState): { state: ControlState; effects: ControlEffect[] } {
  const consult = st.consult!
  const next: ControlState = { ...st, held: consult.state !== 'talking' }
  const fx: ControlEffect[] = [{ type: 'hand-off', targetChannelId: consult.channelId }]
  if (consult.state === 'talking') fx.push({ type: 'connect-caller' })
  fx.push(
    { type: 'save', state: next },
    { type: 'log', msg: 'call transferred', fields: { number: consult.number, blind: consult.blind } },
    { type: 'transferred', number: consult.number }
  )
  return { state: next, effects: fx }
}

/**
 * The transfer target answered. Consulting: the agent talks to it (the caller stays on hold).
 * Already handed off (blind transfer): the caller joins it now. Null: not this call's target.
 */
export function targetAnswered(st: ControlState, channelId: string, handedOffTo: string | null): { state: ControlState; connectCaller: boolean } | null {
  if (st.consult?.channelId !== channelId) return null
  const consult: Consult = { ...st.consult, state: 'talking' }
  if (handedOffTo === channelId) return { state: { ...st, consult, held: false }, connectCaller: true }
  return { state: { ...st, consult }, connectCaller: false }
}

/**
 * The target's channel ended before a hand-off: the consultation is over, the caller stays on
 * hold (the agent takes them back or tries another number). Null: nothing to change (not this
 * target, or the call was handed to it: the call flow ends the call).
 */
export function targetGone(st: ControlState, channelId: string, handedOffTo: string | null): ControlState | null {
  if (st.consult?.channelId !== channelId || handedOffTo === channelId) return null
  return { ...st, consult: null }
}
