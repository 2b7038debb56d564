/** The machine's edge: effects run in order, a vanished channel stops a step, replies are stepped at once. */
import { EventEmitter } from 'node:events'
import pino from 'pino'
import t from 'tap'
import type { Call } from '../../../src/calls/call-state.ts'
import { CallEffects, type EffectPorts } from '../../../src/calls/effects.ts'
import { arrive, step, type Step } from '../../../src/calls/machine.ts'
import type { CallFlowEvents } from '../../../src/calls/machine-types.ts'
import { DueTimers, type TimerPort } from '../../../src/domain/timers.ts'
import { AriNotFound } from '../../../src/pbx/ari/errors.ts'
import { CALL_ID, MAIN_LINE, policy, T0 } from './machine-sim.ts'

function edge(fail: Partial<Record<string, 'gone' | 'error'>> = {}) {
  const calls: string[] = []
  const saved: Call[] = []
  const armed: { at: number }[] = []
  const rest = new Proxy({}, {
    get: (_t, name: string) => async (...args: unknown[]) => {
      calls.push(`${name}(${String(args[0])})`)
      if (fail[name] === 'gone') throw new AriNotFound(`${name}: 404`, 404)
      if (fail[name] === 'error') throw new Error(`${name} failed`)
      return {}
    }
  })
  const port: TimerPort = { at: (at) => { armed.push({ at }); return { cancel: () => {} } } }
  const notifier = new EventEmitter<CallFlowEvents>()
  const ports = {
    rest,
    live: { save: async (c: Call) => { saved.push(c) }, remove: async () => { calls.push('live.remove') }, forgetChannel: async () => {} },
    records: new Proxy({}, { get: (_t, name: string) => async () => { calls.push(`records.${name}`) } }),
    waiting: { add: async () => { calls.push('waiting.add') }, remove: async () => true },
    agents: { tryApply: async () => ({ ok: true }), apply: async () => ({}) },
    metrics: { callsEntered: { inc: () => {} }, callsAnswered: { inc: () => {} }, callsAbandoned: { inc: () => {} }, answerDelay: { observe: () => {} } },
    timers: new DueTimers(port, () => {}),
    channels: new Map(), holdBridges: new Set(), notifier, requestDispatch: () => { calls.push('dispatch') },
    log: pino({ level: 'silent' }), settings: { app: 'hotline', seatTech: 'PJSIP', mohClass: 'default' }
  } as unknown as EffectPorts
  return { fx: new CallEffects(ports), calls, saved, armed, notifier, ports }
}

const first = (greeting: string | null): Step => arrive({
  callId: CALL_ID, channelId: 'caller-1', callerNumber: '1380', dialled: '12345', arrival: { arrivedAt: T0, heldByPbx: false },
  line: MAIN_LINE, route: { queueId: 'general', reason: 'line-queue' }, greeting
}, T0, policy())
const reply = (c: Call, e: Parameters<typeof step>[1]) => step(c, e, T0, policy())

t.test('a greeted arrival: answered, tagged, the greeting played, saved with its due time armed', async (t) => {
  const { fx, calls, saved, armed } = edge()
  const r = await fx.run(first('sound:hello'), reply)
  t.equal(r.call.phase, 'greeting')
  t.same(calls, ['records.arrived', 'answer(caller-1)', 'setVariable(caller-1)', 'play(caller-1)'])
  t.same(saved.map((c) => c.phase), ['arriving', 'greeting'])
  t.same(armed, [{ at: T0 + 30_000 }])
})

t.test('the caller gone when answered: the step stops there, nothing else is asked of the PBX', async (t) => {
  const { fx, calls } = edge({ answer: 'gone' })
  const r = await fx.run(first('sound:hello'), reply)
  t.ok(r.stopped)
  t.same(calls, ['records.arrived', 'answer(caller-1)'])
})

t.test('the holding bridge is made once, with music; the next caller joins it directly', async (t) => {
  const { fx, calls } = edge()
  await fx.run(first(null), reply)
  t.same(calls.filter((c) => /Bridge|Moh/.test(c)), ['createBridge(queue-general-hold)', 'startBridgeMoh(queue-general-hold)', 'addToBridge(queue-general-hold)'])
  calls.length = 0
  await fx.run(first(null), reply)
  t.same(calls.filter((c) => /Bridge|Moh/.test(c)), ['addToBridge(queue-general-hold)'])
})

t.test('a seat that cannot be dialled: the reply is stepped at once and the rest of the offer is dropped', async (t) => {
  const { fx, calls, notifier } = edge({ originate: 'error' })
  const queued = await fx.run(first(null), reply)
  const events: string[] = []
  notifier.on('offered', () => events.push('offered'))
  notifier.on('queue-changed', () => events.push('queue-changed'))
  calls.length = 0
  const r = await fx.run(step(queued.call, { type: 'offer', agentId: 'a1', seat: '1001', ringTimeoutSeconds: 15 }, T0, policy()), reply)
  t.equal(r.call.phase, 'waiting')
  t.same(calls, ['originate([object Object])', 'records.offered', 'records.log', 'waiting.add', 'dispatch'])
  t.same(events, ['offered', 'queue-changed', 'queue-changed'])
})
