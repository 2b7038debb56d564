/**
 * Socket.IO for the agent panel (/agent) and the supervisors' wallboard (/supervisor). Sockets
 * are authenticated with the same bearer token as the REST API and joined to rooms from the
 * verified claims, never from what the client asks. Several server nodes share rooms through
 * the Redis streams adapter.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { Server, type Namespace, type Socket } from 'socket.io'
import { Ajv } from 'ajv'
import type { AgentCommands } from '../agents/commands.ts'
import type { AgentLive } from '../agents/model.ts'
import { presentAgent } from '../agents/routes.ts'
import { ExtendBody, NotReadyBody, SignInBody } from '../agents/schemas.ts'
import type { AgentService } from '../agents/service.ts'
import type { TokenClaims } from '../auth/plugin.ts'
import type { TokenRevocation } from '../auth/revocation.ts'
import type { CallFlow } from '../calls/service.ts'
import type { CallControl } from '../calls/control.ts'
import type { LiveCall } from '../calls/model.ts'
import { describeError } from '../http/errors.ts'
import type { QueueWaitingStore, QueueDirectory } from '../queueing/store.ts'
import type { Logger } from 'pino'
import { CALL_ACTIONS, MEDIA_STATES, type Ack, type AgentClientToServer, type AgentServerToClient, type CallOfferView, type SupervisorClientToServer, type SupervisorServerToClient } from './contract.ts'
import type { ScreenPop } from '../screen-pop/service.ts'
import { currentCallView } from '../calls/views.ts'
import { SocketSessions, sessionRooms, type Admission } from '../auth/socket-sessions.ts'

const ajv = new Ajv({ allErrors: false })
const CallControlBody = {
  type: 'object', additionalProperties: false, required: ['action'],
  properties: { action: { type: 'string', enum: [...CALL_ACTIONS] }, digits: { type: 'string', maxLength: 32 }, number: { type: 'string', maxLength: 32 } }
} as const
const MediaReport = {
  type: 'object', additionalProperties: false, required: ['callId', 'state'],
  properties: { callId: { type: 'string', minLength: 1, maxLength: 64 }, state: { type: 'string', enum: [...MEDIA_STATES] } }
} as const
const validators = { signIn: ajv.compile(SignInBody), notReady: ajv.compile(NotReadyBody), extend: ajv.compile(ExtendBody), callControl: ajv.compile(CallControlBody), media: ajv.compile(MediaReport) }

type AgentSocket = Socket<AgentClientToServer, AgentServerToClient, Record<string, never>, { user: TokenClaims }>

export const rooms = {
  agent: (agentId: string) => `agent:${agentId}`,
  supervisors: 'supervisors',
  /** Every socket of one user, in any namespace: closed together when the user's tokens are revoked. */
  user: sessionRooms.user
} as const

function fail<T>(err: unknown): Ack<T> {
  const { body } = describeError(err as Error)
  return { ok: false, error: body }
}

function badInput<T>(what: string, errors: { instancePath: string; message?: string; params: Record<string, unknown> }[] | null | undefined): Ack<T> {
  const e = errors?.[0]
  const field = e ? [what, e.instancePath.replace(/^\//, ''), e.params.missingProperty ?? e.params.additionalProperty].filter(Boolean).join('.') : what
  return { ok: false, error: { code: 'HOTLINE_BAD_REQUEST', message: `${field}: ${e?.message ?? 'is invalid'}`, details: { field } } }
}

export interface RealtimeDeps {
  app: FastifyInstance
  redis: Redis
  agents: AgentService
  commands: AgentCommands
  calls: CallFlow
  waiting: QueueWaitingStore
  directory: QueueDirectory
  now: () => number
  control: CallControl
  pop: ScreenPop
  log: Logger
  revocation: TokenRevocation
  /** Commands one socket may send per second (twice that in a burst). */
  commandsPerSecond: number
}

export function attachRealtime(deps: RealtimeDeps): { io: Server; sessions: SocketSessions; close(): Promise<void> } {
  const adapterRedis = deps.redis.duplicate()
  const io = new Server(deps.app.server, {
    path: '/socket.io',
    // The agent panel (softphone/) loads the client from here: same version as the server, no CDN.
    serveClient: true,
    // A short blocking read lets shutdown finish within a second.
    adapter: createAdapter(adapterRedis, { blockTimeInMs: 1000 }),
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
    // Commands are a few hundred bytes; the 1 MB default only helps someone flood the server.
    maxHttpBufferSize: 16 * 1024
  })

  // The default namespace serves nobody: the panels use /agent and /supervisor.
  io.use((_socket, next) => next(new Error('HOTLINE_AUTH_FORBIDDEN: connect to /agent or /supervisor')))

  // One session check for every namespace (this file's and those other capabilities open on io).
  const sessions = new SocketSessions({ app: deps.app, revocation: deps.revocation, log: deps.log, commandsPerSecond: deps.commandsPerSecond })
  const admitRoles = (roles: readonly string[]): Admission => (user) => (roles.includes(user.role) ? null : `role '${user.role}' may not join this namespace`)

  const agentNs: Namespace<AgentClientToServer, AgentServerToClient> = io.of('/agent')
  sessions.protect(agentNs as unknown as Namespace, admitRoles(['agent']))
  agentNs.on('connection', (socket: AgentSocket) => {
    const agentId = socket.data.user.sub
    void socket.join(rooms.agent(agentId))
    const run = async (work: () => Promise<AgentLive>, ack: unknown) => {
      if (typeof ack !== 'function') return // a command without an ack cannot be answered
      try { ack({ ok: true, data: presentAgent(await work()) }) } catch (err) { ack(fail(err)) }
    }
    socket.on('agent:get-state', (ack) => run(() => deps.commands.state(agentId), ack))
    socket.on('agent:sign-in', (body, ack) => {
      if (!validators.signIn(body)) return typeof ack === 'function' && ack(badInput('body', validators.signIn.errors as never))
      return run(() => deps.commands.signIn(agentId, body.seat, agentId, socket.handshake.address), ack)
    })
    socket.on('agent:set-ready', (ack) => run(() => deps.commands.setReady(agentId, agentId), ack))
    socket.on('agent:set-not-ready', (body, ack) => {
      if (!validators.notReady(body)) return typeof ack === 'function' && ack(badInput('body', validators.notReady.errors as never))
      return run(() => deps.commands.setNotReady(agentId, body.reason, agentId), ack)
    })
    socket.on('agent:extend-wrap-up', (body, ack) => {
      if (!validators.extend(body)) return typeof ack === 'function' && ack(badInput('body', validators.extend.errors as never))
      return run(() => deps.commands.extendWrapUp(agentId, body.seconds, agentId), ack)
    })
    socket.on('agent:sign-out', (ack) => run(() => deps.commands.signOut(agentId, agentId), ack))
    socket.on('call:get-current', async (ack) => {
      if (typeof ack !== 'function') return
      try { ack({ ok: true, data: await currentCallView(deps.control, deps.pop, agentId) }) } catch (err) { ack(fail(err)) }
    })
    socket.on('call:rejoin', async (ack) => {
      if (typeof ack !== 'function') return
      try { ack({ ok: true, data: await deps.control.rejoin(agentId) }) } catch (err) { ack(fail(err)) }
    })
    socket.on('call:control', async (body, ack) => {
      if (typeof ack !== 'function') return
      if (!validators.callControl(body)) return ack(badInput('body', validators.callControl.errors as never))
      try { ack({ ok: true, data: await deps.control.command(agentId, body.action, body) }) } catch (err) { ack(fail(err)) }
    })
    // The panel's view of its call's audio, passed on to every supervisor socket (wallboards too).
    socket.on('call:media', (body) => {
      if (!validators.media(body)) return
      if (body.state === 'no-audio') deps.log.warn({ agentId, callId: body.callId }, 'the agent panel reports no audio on its call')
      supervisorNs.emit('agent:media-changed', { agentId, callId: body.callId, state: body.state, at: new Date(deps.now()).toISOString() })
    })
  })

  const supervisorNs: Namespace<SupervisorClientToServer, SupervisorServerToClient> = io.of('/supervisor')
  sessions.protect(supervisorNs as unknown as Namespace, admitRoles(['supervisor', 'admin']))
  supervisorNs.on('connection', (socket) => {
    void socket.join(rooms.supervisors)
    socket.on('agents:snapshot', async (ack) => {
      if (typeof ack !== 'function') return
      try { ack({ ok: true, data: (await deps.agents.listSignedIn()).map(presentAgent) }) } catch (err) { ack(fail(err)) }
    })
  })

  deps.agents.on('changed', ({ prev, next }) => {
    if (prev.state === next.state && prev.reason === next.reason && prev.wrapUpUntil === next.wrapUpUntil && prev.pendingNotReady === next.pendingNotReady) return
    const view = presentAgent(next)
    agentNs.to(rooms.agent(next.agentId)).emit('agent:state-changed', view)
    supervisorNs.to(rooms.supervisors).emit('agent:state-changed', view)
  })

  const offerView = (call: LiveCall): Promise<CallOfferView> => deps.pop.view(call)
  deps.calls.on('offered', (call) => {
    if (!call.agentId) return
    // Never in the call's way: the pop is built and sent beside the call flow, not inside it.
    offerView(call)
      .then((view) => agentNs.to(rooms.agent(call.agentId!)).emit('call:offered', view))
      .catch((err) => deps.log.error({ err, callId: call.callId }, 'screen pop failed'))
  })
  deps.control.on('changed', (agentId, callId, control) => agentNs.to(rooms.agent(agentId)).emit('call:control-changed', { callId, control }))
  deps.control.on('transferred', (agentId, callId) => agentNs.to(rooms.agent(agentId)).emit('call:ended', { callId, outcome: 'transferred', endedBy: 'agent' }))
  deps.calls.on('answered', (call) => {
    if (call.agentId) agentNs.to(rooms.agent(call.agentId)).emit('call:answered', { callId: call.callId, answeredAt: new Date(call.answeredAt!).toISOString(), recordingName: call.recordingName })
  })
  deps.calls.on('agent-leg-lost', (call, rejoinBy) => {
    if (call.agentId) agentNs.to(rooms.agent(call.agentId)).emit('call:leg-lost', { callId: call.callId, rejoinBy: new Date(rejoinBy).toISOString() })
  })
  deps.calls.on('rejoin-limit', (call, rejoins) => {
    supervisorNs.emit('call:rejoin-limit', { agentId: call.agentId, callId: call.callId, seat: call.seat, rejoins, at: new Date(deps.now()).toISOString() })
  })
  deps.calls.on('rejoined', (call) => {
    if (call.agentId) agentNs.to(rooms.agent(call.agentId)).emit('call:rejoined', { callId: call.callId })
  })
  deps.calls.on('ended', (call, outcome, endedBy) => {
    // A transferred call already ended for the agent at the hand-off.
    if (call.agentId && !call.handedOffTo) agentNs.to(rooms.agent(call.agentId)).emit('call:ended', { callId: call.callId, outcome, endedBy })
  })
  deps.calls.on('queue-changed', (queueId) => {
    void deps.waiting.waiting([queueId]).then((entries) => {
      const now = deps.now()
      const oldest = entries.reduce((min, e) => Math.min(min, e.enteredAt), now)
      supervisorNs.to(rooms.supervisors).emit('queue:changed', { queueId, waiting: entries.length, longestWaitSeconds: (now - oldest) / 1000 })
    })
  })

  return {
    io,
    sessions,
    async close() {
      sessions.close()
      // Not io.close(): that would also close the HTTP server, which Fastify owns.
      io.disconnectSockets(true)
      io.engine.close()
      // Closing sockets persists their sessions (connection-state recovery lets the panels
      // resume on another node); wait for those writes before closing the Redis clients.
      for (let i = 0; i < 40 && io.engine.clientsCount > 0; i++) await new Promise((r) => setTimeout(r, 25))
      await new Promise((r) => setImmediate(r))
      // Closing every namespace's adapter stops the adapter's own Redis readers.
      for (const nsp of (io as unknown as { _nsps: Map<string, Namespace> })._nsps.values()) await nsp.adapter.close()
      await adapterRedis.quit().catch(() => adapterRedis.disconnect())
    }
  }
}
