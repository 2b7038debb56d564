/**
 * Supervision, wired (createSupervision returns its routes, its /supervisor namespace and its
 * life cycle): the live wallboard (pushed on the /supervisor Socket.IO
 * namespace, served as a page under /wallboard/), supervisors' actions over REST and Socket.IO,
 * and the audit log. Kept out of the call flow: it listens to CallFlow and AgentService events and
 * uses the call flow's small public hooks only.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import type { Logger } from 'pino'
import type { Namespace, Server, Socket } from 'socket.io'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { Type } from 'typebox'
import type { AgentCommands } from '../agents/commands.ts'
import { presentAgent } from '../agents/routes.ts'
import type { AgentService } from '../agents/service.ts'
import type { AgentRecords } from '../agents/store.ts'
import type { TokenClaims } from '../auth/plugin.ts'
import type { CallFlow } from '../calls/service.ts'
import type { LiveCallStore } from '../calls/store.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import type { Sql } from '../db/sql.ts'
import { describeError } from '../http/errors.ts'
import type { AriConnection } from '../pbx/ari/connection.ts'
import type { AriRouter } from '../pbx/ari/router.ts'
import type { QueueDirectory, QueueWaitingStore } from '../queueing/store.ts'
import type { Ack } from '../realtime/contract.ts'
import { rooms } from '../realtime/server.ts'
import { DEFAULT_THRESHOLDS, type KpiThresholds } from '../statistics/rules.ts'
import { StatisticsStore } from '../statistics/store.ts'
import { SupervisorActionLog, SupervisorActions, type Actor, type SupervisorActionsDeps } from './actions.ts'
import { INTERVENTION_MODES, type SupervisorWallboardClientToServer, type SupervisorWallboardServerToClient } from './model.ts'
import { Bodies, Ids, supervisionRoutes } from './routes.ts'
import { Wallboard } from './wallboard.ts'

/** Every /supervisor socket: receives the coalesced wallboard pushes. */
export const WALLBOARD_ROOM = 'wallboard'

export const WALLBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/wallboard')

export interface SupervisionDeps {
  sql: Sql
  ari: AriConnection
  router: AriRouter
  calls: CallFlow
  liveCalls: LiveCallStore
  agents: AgentService
  agentRecords: AgentRecords
  commands: AgentCommands
  waiting: QueueWaitingStore
  directory: QueueDirectory
  clock: Clock
  log: Logger
  settings: { app: string; seatTech: string; timeZone: string; maskCallers: boolean; pushIntervalMs?: number; thresholds?: KpiThresholds }
  requestDispatch: () => void
  seats: SupervisorActionsDeps['seats']
  /**
   * Wraps the actions so that those acting on a call in progress run on the node that drives
   * the calls (src/cluster/); the routes and sockets use what it returns.
   */
  forward?: (actions: SupervisorActions) => SupervisorActions
}

const ajv = new Ajv({ allErrors: false })
addFormats.default(ajv)
const v = {
  forceNotReady: ajv.compile(Type.Object({ agentId: Ids.agentId, reason: Ids.reason }, { additionalProperties: false })),
  forceSignOut: ajv.compile(Type.Object({ agentId: Ids.agentId }, { additionalProperties: false })),
  intervene: ajv.compile(Type.Object({ callId: Ids.callId, mode: Type.Unsafe<string>({ type: 'string', enum: [...INTERVENTION_MODES] }), seat: Ids.seat }, { additionalProperties: false })),
  end: ajv.compile(Type.Object({ sessionId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })),
  move: ajv.compile(Type.Object({ queueId: Ids.queueId, callId: Ids.callId, ...Bodies.move.properties }, { additionalProperties: false })),
  toHead: ajv.compile(Type.Object({ queueId: Ids.queueId, callId: Ids.callId }, { additionalProperties: false }))
}

type Validator = (typeof v)[keyof typeof v]

function badInput(validate: Validator): Ack<never> {
  const e = validate.errors?.[0]
  const field = e ? ['body', e.instancePath.replace(/^\//, '').replace(/\//g, '.'), e.params.missingProperty ?? e.params.additionalProperty].filter(Boolean).join('.') : 'body'
  return { ok: false, error: { code: 'HOTLINE_BAD_REQUEST', message: `${field}: ${e?.message ?? 'is invalid'}`, details: { field } } }
}

export interface Supervision extends Contribution {
  wallboard: Wallboard
  actions: SupervisorActions
}

export function createSupervision(d: SupervisionDeps): Supervision {
  const thresholds = d.settings.thresholds ?? DEFAULT_THRESHOLDS
  const wallboard = new Wallboard({
    sql: d.sql, stats: new StatisticsStore(d.sql), directory: d.directory, agents: d.agents, agentRecords: d.agentRecords,
    liveCalls: d.liveCalls, clock: d.clock, log: d.log.child({ component: 'wallboard' }), timeZone: d.settings.timeZone,
    thresholds, maskCallers: d.settings.maskCallers, minIntervalMs: d.settings.pushIntervalMs
  })
  const auditLog = new SupervisorActionLog(d.sql)
  const ownActions = new SupervisorActions({
    rest: d.ari.rest, calls: d.calls, liveCalls: d.liveCalls, commands: d.commands, waiting: d.waiting, directory: d.directory,
    log: auditLog, logger: d.log.child({ component: 'supervision' }), app: d.settings.app, seatTech: d.settings.seatTech,
    requestDispatch: d.requestDispatch, router: d.router, seats: d.seats
  })
  const actions = d.forward ? d.forward(ownActions) : ownActions

  // Anything that can move a figure or an agent row marks the board dirty; the board coalesces.
  const dirty = () => wallboard.markDirty()
  d.calls.on('offered', dirty)
  d.calls.on('answered', dirty)
  d.calls.on('ended', dirty)
  d.calls.on('queue-changed', dirty)
  d.agents.on('changed', dirty)

  const page: FastifyPluginAsync = async (app) => {
    // Static files log at warn: an info line per asset request would bury the server's own lines.
    await app.register(fastifyStatic, { root: WALLBOARD_DIR, prefix: '/wallboard/', decorateReply: false, index: ['index.html'], logLevel: 'warn' })
    // The page's Socket.IO client, from the server package's own build (the versions always match).
    const clientFile = path.join(path.dirname(createRequire(import.meta.url).resolve('socket.io/package.json')), 'client-dist/socket.io.esm.min.js')
    app.get('/wallboard/vendor/socket.io.esm.min.js', { schema: { hide: true }, logLevel: 'warn' }, async (_req, reply) =>
      reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send(await readFile(clientFile)))
  }

  const sockets = ({ io }: { io: Server }) => {
    type Ns = Namespace<SupervisorWallboardClientToServer, SupervisorWallboardServerToClient>
    const ns = io.of('/supervisor') as unknown as Ns
    ns.on('connection', (socket: Socket<SupervisorWallboardClientToServer, SupervisorWallboardServerToClient, Record<string, never>, { user: TokenClaims }>) => {
      void socket.join(WALLBOARD_ROOM)
      // A wallboard asks for the coalesced board only: the per-event stream every supervisor socket
      // gets (agent:state-changed, queue:changed; realtime/server.ts) is a message per agent change,
      // which a thousand wallboards cannot take at 20 calls/s (measured: it starved the call flow).
      if ((socket.handshake.auth as { stream?: unknown }).stream === 'wallboard') void socket.leave(rooms.supervisors)
      const actor = (): Actor => ({ id: socket.data.user.sub, role: socket.data.user.role })
      const run = <T>(ack: unknown, work: () => Promise<T>) => {
        if (typeof ack !== 'function') return
        work().then((data) => ack({ ok: true, data }), (err: Error) => ack({ ok: false, error: describeError(err).body }))
      }
      const checked = <B>(validate: Validator, body: unknown, ack: unknown, work: (b: B) => Promise<unknown>) => {
        if (typeof ack !== 'function') return
        if (!validate(body)) return ack(badInput(validate))
        run(ack, () => work(body as B))
      }
      socket.on('wallboard:snapshot', (ack) => run(ack, () => wallboard.snapshot()))
      socket.on('supervisor:force-not-ready', (body, ack) => checked<{ agentId: string; reason: string }>(v.forceNotReady, body, ack, async (b) => presentAgent(await actions.forceNotReady(actor(), b.agentId, b.reason))))
      socket.on('supervisor:force-sign-out', (body, ack) => checked<{ agentId: string }>(v.forceSignOut, body, ack, async (b) => presentAgent(await actions.forceSignOut(actor(), b.agentId))))
      socket.on('supervisor:intervene', (body, ack) => checked<{ callId: string; mode: 'listen' | 'whisper' | 'barge'; seat: string }>(v.intervene, body, ack, (b) => actions.intervene(actor(), b.mode, b.callId, b.seat)))
      socket.on('supervisor:end-intervention', (body, ack) => checked<{ sessionId: string }>(v.end, body, ack, (b) => actions.stop(actor(), b.sessionId)))
      socket.on('supervisor:move-call', (body, ack) => checked<{ queueId: string; callId: string; toQueueId: string }>(v.move, body, ack, (b) => actions.moveCall(actor(), b.queueId, b.callId, b.toQueueId)))
      socket.on('supervisor:call-to-head', (body, ack) => checked<{ queueId: string; callId: string }>(v.toHead, body, ack, (b) => actions.callToHead(actor(), b.queueId, b.callId)))
    })
    // Every node computes the same board from the shared records and pushes it to its own sockets
    // only (local): through the adapter each wallboard would get one copy per node.
    wallboard.on('update', (u) => ns.local.to(WALLBOARD_ROOM).emit('wallboard:update', u))
    wallboard.on('snapshot', (s) => ns.local.to(WALLBOARD_ROOM).emit('wallboard:snapshot', s))
    actions.onSession = (s) => ns.to(WALLBOARD_ROOM).emit('intervention:changed', s)
  }

  return {
    wallboard, actions, sockets,
    routes: [supervisionRoutes({ actions, wallboard, log: auditLog }), page],
    async start() { await wallboard.start() },
    async stop() {
      wallboard.close()
      await actions.close()
    }
  }
}
