/** Call control's machine: hold, mute, DTMF, hang-up, consult and blind transfer, with no PBX. */
import t from 'tap'
import { controlCommand, EMPTY_CONTROL, targetAnswered, targetGone, type ControlDecision, type ControlState } from '../../../src/calls/control-machine.ts'

const targets = [{ number: '110', name: 'Police', kind: 'emergency' as const }, { number: '88001', name: 'Water', kind: 'unit' as const }]
const talking = { phase: 'talking' as const, callerChannelId: 'caller-1', agentChannelId: 'seat-1' }
const CONSULT = 'consult-x'
const cmd = (st: ControlState, action: Parameters<typeof controlCommand>[2], args: { digits?: string; number?: string } = {}, call: Parameters<typeof controlCommand>[1] = talking) =>
  controlCommand(st, call, action, args, targets, CONSULT)
const ok = (d: ControlDecision) => { if (!d.ok) throw new Error(d.message); return d }
const types = (d: ControlDecision) => ok(d).effects.map((e) => e.type === 'agent' ? `agent:${e.event}` : e.type)

t.test('hold: the caller to the call\'s holding bridge, the agent on hold; twice is once', async (t) => {
  const held = ok(cmd(EMPTY_CONTROL, 'hold'))
  t.same(types(held), ['hold-caller', 'agent:hold', 'save', 'changed'])
  t.same(held.state, { held: true, muted: false, consult: null })
  t.same(types(cmd(held.state, 'hold')), ['save', 'changed'])
  const back = ok(cmd(held.state, 'unhold'))
  t.same(types(back), ['connect-caller', 'agent:unhold', 'save', 'changed'])
  t.equal(back.state.held, false)
})

t.test('mute applies to the agent\'s leg; without a leg (waiting for a rejoin) it is only kept', async (t) => {
  t.same(ok(cmd(EMPTY_CONTROL, 'mute')).effects[0], { type: 'mute', channelId: 'seat-1', on: true })
  const noLeg = ok(cmd(EMPTY_CONTROL, 'mute', {}, { ...talking, agentChannelId: null }))
  t.same(types(noLeg), ['save', 'changed'])
  t.equal(noLeg.state.muted, true)
})

t.test('DTMF goes to the caller, or to the consulted party while consulting; bad digits are refused', async (t) => {
  t.same(ok(cmd(EMPTY_CONTROL, 'dtmf', { digits: '12#' })).effects[0], { type: 'dtmf', channelId: 'caller-1', digits: '12#' })
  const consulting: ControlState = { held: true, muted: false, consult: { number: '110', name: 'Police', state: 'talking', channelId: CONSULT, blind: false } }
  t.same(ok(cmd(consulting, 'dtmf', { digits: '5' })).effects[0], { type: 'dtmf', channelId: CONSULT, digits: '5' })
  t.match(cmd(EMPTY_CONTROL, 'dtmf', { digits: 'x' }), { ok: false, error: 'invalid' })
})

t.test('commands other than hang-up need a connected call', async (t) => {
  t.match(cmd(EMPTY_CONTROL, 'hold', {}, { ...talking, phase: 'offered' }), { ok: false, error: 'not-now' })
})

t.test('hang-up: while ringing a rejection (busy); talking, the call flow marks it as the agent\'s first', async (t) => {
  t.same(ok(cmd(EMPTY_CONTROL, 'hangup', {}, { ...talking, phase: 'offered' })).effects[0], { type: 'hangup', channelId: 'seat-1', reason: 'busy' })
  t.same(types(cmd(EMPTY_CONTROL, 'hangup')), ['agent-hangup', 'log'])
})

t.test('consult: the caller held, the target dialled; answered, the agent talks to it; completed, the target takes the call', async (t) => {
  const dialled = ok(cmd(EMPTY_CONTROL, 'consult', { number: '110' }))
  t.same(types(dialled), ['hold-caller', 'agent:hold', 'dial-target', 'log', 'save', 'changed'])
  t.match(dialled.state.consult, { number: '110', state: 'ringing', channelId: CONSULT, blind: false })
  t.match(cmd(dialled.state, 'unhold'), { ok: false, error: 'not-now' }, 'no unhold while consulting')
  t.match(cmd(dialled.state, 'consult', { number: '88001' }), { ok: false, error: 'not-now' }, 'one consultation at a time')
  t.match(cmd(dialled.state, 'consult-complete'), { ok: false }, 'not answered yet')
  const answered = targetAnswered(dialled.state, CONSULT, null)!
  t.same(answered, { state: { ...dialled.state, consult: { ...dialled.state.consult!, state: 'talking' } }, connectCaller: false })
  const done = ok(cmd(answered.state, 'consult-complete'))
  t.same(types(done), ['hand-off', 'connect-caller', 'save', 'log', 'transferred'])
  t.equal(done.state.held, false)
})

t.test('blind transfer: dialled and handed off at once; the caller joins the target when it answers', async (t) => {
  const blind = ok(cmd(EMPTY_CONTROL, 'transfer', { number: '88001' }))
  t.same(types(blind), ['hold-caller', 'agent:hold', 'dial-target', 'save', 'hand-off', 'save', 'log', 'transferred'])
  t.equal(blind.state.held, true, 'the caller waits on music until the target answers')
  const answered = targetAnswered(blind.state, CONSULT, CONSULT)!
  t.equal(answered.connectCaller, true)
  t.equal(answered.state.held, false)
  t.equal(targetGone(blind.state, CONSULT, CONSULT), null, 'a handed-off target\'s end is the call flow\'s')
})

t.test('an unknown transfer target is refused', async (t) => {
  t.match(cmd(EMPTY_CONTROL, 'transfer', { number: '999' }), { ok: false, error: 'invalid' })
})

t.test('consult cancelled, or the target hangs up: the consultation is over; cancelling takes the caller back', async (t) => {
  const dialled = ok(cmd(EMPTY_CONTROL, 'consult', { number: '110' }))
  const cancel = ok(cmd(dialled.state, 'consult-cancel'))
  t.same(types(cancel), ['hangup', 'connect-caller', 'agent:unhold', 'save', 'changed'])
  t.same(cancel.state, EMPTY_CONTROL)
  t.same(targetGone(dialled.state, CONSULT, null), { ...dialled.state, consult: null }, 'the caller stays on hold')
  t.equal(targetGone(dialled.state, 'consult-other', null), null)
  t.match(cmd(EMPTY_CONTROL, 'consult-cancel'), { ok: false, error: 'not-now' })
})
