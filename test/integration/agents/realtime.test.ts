/**
 * Agent commands over Socket.IO are acknowledged with the new state or a clear error, every
 * state change reaches the agent's own room and the supervisors, and a socket without a valid
 * token (or with the wrong role) is refused.
 */
import t from 'tap'
import { io as connect, type Socket } from 'socket.io-client'
import type { Ack, AgentStateView } from '../../../src/realtime/contract.ts'
import { ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'

t.test('agent commands and pushes over Socket.IO', async (t) => {
  const hotline = await startHotline(t)
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agentToken = await createAgent(hotline, admin, 'S1', { seat: '1003' })
  const sockets: Socket[] = []
  t.teardown(() => sockets.forEach((s) => s.close()))
  const open = (ns: string, token: string | undefined) => {
    const s = connect(`${address}${ns}`, { auth: token ? { token } : {}, transports: ['websocket'], reconnection: false, timeout: 3000 })
    sockets.push(s)
    return s
  }
  const connected = (s: Socket) => new Promise<void>((resolve, reject) => { s.once('connect', () => resolve()); s.once('connect_error', reject) })
  const ask = <T>(s: Socket, event: string, ...args: unknown[]) => s.timeout(3000).emitWithAck(event, ...args) as Promise<Ack<T>>

  await t.rejects(connected(open('/agent', undefined)), /bearer token is required/, 'no token: refused')
  await t.rejects(connected(open('/agent', 'garbage')), /invalid or expired token/, 'bad token: refused')
  await t.rejects(connected(open('/supervisor', agentToken)), /may not join/, 'an agent may not join the supervisor namespace')

  const agent = open('/agent', agentToken)
  const supervisor = open('/supervisor', admin)
  await Promise.all([connected(agent), connected(supervisor)])
  const agentSaw: AgentStateView[] = []
  const supervisorSaw: AgentStateView[] = []
  agent.on('agent:state-changed', (s: AgentStateView) => agentSaw.push(s))
  supervisor.on('agent:state-changed', (s: AgentStateView) => supervisorSaw.push(s))

  const bad = await ask<AgentStateView>(agent, 'agent:sign-in', { seat: 42 })
  t.match(bad, { ok: false, error: { code: 'HOTLINE_BAD_REQUEST', message: /body\.seat/ } }, 'bad payload: ack names the field')
  const noSeat = await ask<AgentStateView>(agent, 'agent:sign-in', { seat: '9999' })
  t.match(noSeat, { ok: false, error: { code: 'HOTLINE_AGENTS_NO_SUCH_SEAT' } }, 'unknown seat: 404-style error in the ack')
  const early = await ask<AgentStateView>(agent, 'agent:set-ready')
  t.match(early, { ok: false, error: { code: 'HOTLINE_AGENTS_INVALID_TRANSITION', message: /signed-out/ } }, 'ready before sign-in is refused')

  t.match(await ask(agent, 'agent:sign-in', { seat: '1003' }), { ok: true, data: { state: 'not-ready', seat: '1003' } }, 'signed in')
  t.match(await ask(agent, 'agent:set-ready'), { ok: true, data: { state: 'ready' } }, 'ready')
  t.match(await ask(agent, 'agent:set-not-ready', { reason: 'meal' }), { ok: true, data: { state: 'not-ready', reason: 'meal' } }, 'not ready: meal')
  t.match(await ask(agent, 'agent:set-not-ready', { reason: 'nap' }), { ok: false, error: { code: 'HOTLINE_AGENTS_UNKNOWN_REASON' } }, 'unknown reason refused')
  t.match(await ask(agent, 'agent:sign-out'), { ok: true, data: { state: 'signed-out' } }, 'signed out')

  await waitFor('four pushes to the agent', async () => agentSaw.length >= 4, 3000)
  t.same(agentSaw.map((s) => `${s.state}:${s.reason ?? ''}`), ['not-ready:signed-in', 'ready:', 'not-ready:meal', 'signed-out:'], 'the agent room saw every change in order')
  await waitFor('four pushes to supervisors', async () => supervisorSaw.length >= 4, 3000)
  t.same(supervisorSaw.map((s) => s.state), ['not-ready', 'ready', 'not-ready', 'signed-out'], 'supervisors saw them too')
  const [logged] = await hotline.sql<{ n: number }[]>`select count(*)::int as n from agent_state_log where agent_id = 'S1'`
  t.equal(logged!.n, 4, 'each change is in the agent state log')
  const reasons = await hotline.sql<{ reason: string | null; actor: string }[]>`select reason, actor from agent_state_log where agent_id = 'S1' order by id`
  t.same(reasons.map((r) => r.reason), ['signed-in', null, 'meal', null], 'with its reason')
  t.ok(reasons.every((r) => r.actor === 'S1'), 'and who did it')
})
