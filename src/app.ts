/**
 * Composition root: builds the adapters (HTTP server, PostgreSQL, Redis, the PBX's ARI, the
 * clock, Socket.IO) and composes the capabilities, each from its own index.ts. No SQL and no
 * policy here: what a capability decides, stores and serves lives in its folder. Tests build the
 * same thing and drive it with app.inject(), no port needed.
 */
import { hostname } from 'node:os'
import Fastify, { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Logger } from 'pino'
import { createAgents } from './agents/index.ts'
import type { AgentService } from './agents/service.ts'
import { createAuth } from './auth/index.ts'
import type { UserStore } from './auth/store.ts'
import { attachAudit, type Audit } from './audit/index.ts'
import { createCallbacks } from './callbacks/index.ts'
import type { CallbackService } from './callbacks/service.ts'
import { createCalls } from './calls/index.ts'
import type { CallFlow } from './calls/service.ts'
import { ClusterNode } from './cluster/node.ts'
import { clusterRoutes } from './cluster/routes.ts'
import type { Config } from './config.ts'
import { createSql, pingSql, type Sql } from './db/sql.ts'
import { systemClock, type Clock } from './domain/clock.ts'
import type { Contribution } from './domain/module.ts'
import { createFollowUps, type FollowUps } from './followup/index.ts'
import { registerErrorHandling } from './http/errors.ts'
import { healthRoutes } from './http/health.ts'
import { loggerOptions } from './http/logging.ts'
import { createMetrics } from './http/metrics.ts'
import { readTlsFiles, registerSecurityHeaders } from './http/security.ts'
import { createRouting } from './lines/index.ts'
import { parseNumberPlan } from './number-plan/rules.ts'
import { AriConnection } from './pbx/ari/connection.ts'
import { AriRouter } from './pbx/ari/router.ts'
import { createQueueing } from './queueing/index.ts'
import type { Acd } from './queueing/service.ts'
import { attachRealtime } from './realtime/server.ts'
import { createRecordingRetention, type RecordingRetention } from './recordings/retention.ts'
import { createRedis, type Redis } from './redis/client.ts'
import { ScreenPop } from './screen-pop/service.ts'
import { createSeats } from './seats/index.ts'
import { softphoneRoutes } from './softphone/routes.ts'
import { createStatistics } from './statistics/index.ts'
import { createSupervision } from './supervision/index.ts'
import { createTicketKpis } from './ticket-kpis/index.ts'
import { createTickets } from './tickets/index.ts'
import type { TicketService } from './tickets/service.ts'

export interface Hotline {
  app: FastifyInstance
  io: import('socket.io').Server
  config: Config
  sql: Sql
  redis: Redis
  ari: AriConnection
  agents: AgentService
  calls: CallFlow
  acd: Acd
  users: UserStore
  /** The security audit log (安全审计): `audit.log.record({ actor, action, target, outcome, ip, details })`. */
  audit: Audit
  /** Deletes recordings past HOTLINE_RECORDING_RETENTION_DAYS from the PBX, each deletion audited. */
  recordingRetention: RecordingRetention
  /** Tickets (工单): accept, dispatch, handle, close; the screen pop and the call side use it too. */
  tickets: TicketService
  /** The outbound dialer: follow-up visits (回访) and callbacks. */
  followUps: FollowUps
  callbacks: CallbackService
  /** This node in the cluster: holder of the call-control lease or standby. */
  cluster: ClusterNode
  /** Connects to the PBX, re-reads live state and starts taking calls. */
  start(options?: { waitForPbx?: boolean }): Promise<void>
  close(): Promise<void>
}

export async function createHotline(config: Config, options: { clock?: Clock; logger?: boolean | object; dialerClock?: Clock } = {}): Promise<Hotline> {
  // ── Adapters ────────────────────────────────────────────────────────────────────────────
  const clock = options.clock ?? systemClock
  const dialerClock = options.dialerClock ?? clock
  const tls = readTlsFiles(config.HOTLINE_TLS_CERT, config.HOTLINE_TLS_KEY)
  const app = Fastify({
    ...(tls ? { https: tls } : {}),
    logger: loggerOptions(config.LOG_LEVEL, options.logger),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } }
  })
  const log = app.log as unknown as Logger
  const sql = createSql(config.DATABASE_URL)
  const redis = createRedis(config.REDIS_URL)
  // Which node drives the calls (src/cluster/): only the lease holder opens the Stasis websocket.
  const cluster = new ClusterNode(redis, {
    nodeId: config.HOTLINE_NODE_ID ?? `${hostname()}-${process.pid}`, ttlMs: config.HOTLINE_LEASE_TTL_MS, renewMs: config.HOTLINE_LEASE_RENEW_MS,
    forwardTimeoutMs: Math.max(5000, 3 * config.HOTLINE_LEASE_TTL_MS)
  }, log.child({ component: 'cluster' }))
  const ari = new AriConnection({ url: config.HOTLINE_ARI_URL, user: config.HOTLINE_ARI_USER, password: config.HOTLINE_ARI_PASSWORD, app: config.HOTLINE_ARI_APP, log: log.child({ component: 'ari' }) })
  const rest = ari.rest
  // The one consumer of the Stasis app's events: each capability registers what it owns.
  const router = new AriRouter(log.child({ component: 'ari-router' }))
  const metrics = createMetrics({ ariRequests: () => ari.rest.requestCounts })
  const sipWsUrl = config.HOTLINE_SIP_WS_URL ?? config.HOTLINE_ARI_URL.replace(/^http/, 'ws').replace(/\/+$/, '') + '/ws'
  // Every number the center dials out passes the number plan (toll fraud).
  const numberPlan = parseNumberPlan(config.HOTLINE_NUMBER_PLAN)
  const base = { config, sql, redis, rest, router, clock, log }

  // ── HTTP plumbing: API docs, security headers, token verification, one error shape, audit ──
  await app.register(swagger, {
    openapi: {
      info: { title: 'Hotline 12345 contact center API', version: '0.1.0', description: 'Queueing, agents, calls and recordings for 12345 government service hotlines' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, metricsToken: { type: 'http', scheme: 'bearer', description: 'HOTLINE_METRICS_TOKEN: the Prometheus scraper\'s token (authorization.credentials)' } } }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await registerSecurityHeaders(app, { connectSources: [new URL(sipWsUrl).origin], tls: tls !== null })
  const auth = createAuth({ ...base, app })
  await auth.install()
  registerErrorHandling(app)
  const audit = await attachAudit({ app, sql, log: log.child({ component: 'audit' }), retentionDays: config.HOTLINE_AUDIT_RETENTION_DAYS, now: () => clock.now() })

  // ── Capabilities ────────────────────────────────────────────────────────────────────────
  const recordingRetention = createRecordingRetention({ sql, rest, audit: audit.log, log: log.child({ component: 'recording-retention' }), retentionDays: config.HOTLINE_RECORDING_RETENTION_DAYS, now: () => clock.now() })
  const seats = createSeats({ ...base, audit: audit.log })
  const agents = createAgents({ ...base, seats: seats.seats })
  const queueing = createQueueing({ ...base, agents: agents.agents, agentRecords: agents.records, cluster })
  const { requestDispatch } = queueing
  const routing = createRouting({ ...base, agents: agents.agents, directory: queueing.directory })
  const tickets = createTickets({ ...base, audit: audit.log })
  const ticketKpis = createTicketKpis({ ...base, audit: audit.log, tickets: tickets.tickets })
  const statistics = createStatistics(base)
  const pop = new ScreenPop({ directory: queueing.directory, tickets: tickets.tickets, log: log.child({ component: 'screen-pop' }), now: () => clock.now() })
  const calls = createCalls({
    ...base, metrics, agents: agents.agents, agentRecords: agents.records, acd: queueing.acd, waiting: queueing.waiting, directory: queueing.directory,
    requestDispatch, numberPlan, pop, seats: seats.seats, sipWsUrl, cluster
  })
  // The dialer's pace (count open attempts, claim due tasks) on a connection of its own: its
  // claims never queue behind the writes of the calls it already placed (bench:dialer).
  const pacingSql = createSql(config.DATABASE_URL, { max: 1, applicationName: 'hotline-dialer' })
  metrics.attachLive({ waitingByQueue: () => queueing.waitingByQueue(), agentsByState: () => agents.countByState() })

  const supervision = createSupervision({
    sql, ari, router, calls: calls.flow, liveCalls: calls.live, agents: agents.agents, agentRecords: agents.records, commands: agents.commands,
    waiting: queueing.waiting, directory: queueing.directory, clock, log, requestDispatch,
    settings: { app: config.HOTLINE_ARI_APP, seatTech: config.HOTLINE_SEAT_TECH, timeZone: config.HOTLINE_TIMEZONE, maskCallers: config.HOTLINE_WALLBOARD_MASK_CALLER, pushIntervalMs: config.HOTLINE_WALLBOARD_PUSH_MS },
    seats: seats.seats,
    forward: (actions) => cluster.forwarded('supervision', actions, ['forceNotReady', 'forceSignOut', 'moveCall', 'callToHead', 'intervene', 'stop', 'list'])
  })
  const followUps = createFollowUps({
    sql, pacingSql, rest, router, calls: calls.flow, tickets: tickets.tickets, clock: dialerClock, log, audit: audit.log,
    settings: { app: config.HOTLINE_ARI_APP, timeZone: config.HOTLINE_TIMEZONE, tickMs: config.HOTLINE_DIALER_TICK_MS, inputTimeoutMs: config.HOTLINE_SURVEY_INPUT_TIMEOUT_S * 1000, callerId: config.HOTLINE_DIALER_CALLER_ID, numberPlan },
    pbxTrunks: [...new Set([config.HOTLINE_TRANSFER_TRUNK, config.HOTLINE_CALLBACK_TRUNK])]
  })
  const callbacks = createCallbacks({
    ...base, clock: dialerClock, numberPlan, calls: calls.flow, liveCalls: calls.live, waiting: queueing.waiting, agents: agents.agents, acd: queueing.acd,
    requestDispatch
  })

  const contributions: Contribution[] = [
    { routes: [healthRoutes({ metrics, metricsToken: config.HOTLINE_METRICS_TOKEN, probes: {
      // The holder must have its Stasis websocket; a standby only needs the PBX's REST side.
      asterisk: async () => { if (cluster.role === 'holder' && !ari.connected) throw new Error(ari.lastError?.message ?? 'ARI not connected'); await rest.info() },
      postgres: () => pingSql(sql),
      redis: async () => { await redis.ping() }
    } })] },
    {
      routes: auth.routesWith(audit.log, async (userId, actor) => {
        // A disabled or demoted agent leaves the seat too: no call may be offered to an account that cannot answer it.
        try {
          if ((await agents.agents.get(userId)).state !== 'signed-out') await agents.commands.signOut(userId, actor, true)
        } catch (err) {
          log.warn({ err, agentId: userId }, 'signing out a disabled or demoted agent failed')
        }
      })
    }, agents, calls, queueing, routing, ticketKpis, tickets, statistics,
    { routes: [softphoneRoutes({ seats: seats.seats, agents: agents.agents })] }, seats, supervision, followUps, callbacks,
    { routes: [clusterRoutes({ cluster })] }
  ]
  for (const c of contributions) for (const plugin of c.routes ?? []) await app.register(plugin)
  const realtime = attachRealtime({
    app, redis, agents: agents.agents, commands: agents.commands, calls: calls.flow, waiting: queueing.waiting, directory: queueing.directory, now: () => clock.now(),
    control: calls.control, pop, log: log.child({ component: 'realtime' }), revocation: auth.revocation, commandsPerSecond: config.HOTLINE_SOCKET_COMMANDS_PER_S
  })
  for (const c of contributions) c.sockets?.(realtime)

  // ── The PBX: every event through the router; after each (re)connect each capability reconciles ──
  ari.on('event', (event) => {
    router.dispatch(event).catch((err) => log.error({ err, type: event.type }, 'ARI event handling failed'))
  })
  // Open dial attempts against the PBX (a channel whose end was lost in an event gap is closed),
  // then agents held by a call that no longer exists: after every (re)connect and on a timer.
  const sweep = async () => {
    if (!ari.connected) return
    await followUps.reconcile()
    await callbacks.reconcile?.()
    await calls.flow.releaseStrandedAgents((callId) => callbacks.callbacks.isDialling(callId))
  }
  ari.on('connected', ({ reconnect }) => {
    if (cluster.role !== 'holder') return
    void seats.pbxConnected?.(reconnect)
    void calls.pbxConnected?.(reconnect)
    // The dialers in order: follow-ups recover and start, then callbacks.
    followUps.pbxConnected()
      .then(() => callbacks.pbxConnected?.(reconnect))
      .catch((err) => log.error({ err }, 'dialer recovery after connect failed'))
  })
  ari.on('disconnected', ({ reason }) => log.warn({ reason }, 'ARI disconnected'))

  let closed = false
  let sweepTimer: NodeJS.Timeout | undefined
  // Driving the calls: only while this node holds the lease. Standing down stops every
  // call-driving activity at once (the Stasis websocket first: Asterisk then holds new callers
  // in the dialplan until the next holder connects); taking over reconnects, and the connect
  // handler above reconciles from Redis, re-arms the calls' due times and restarts the dialer.
  let driving: Promise<void> | null = null
  const drive = (epoch: number): Promise<void> => {
    log.info({ nodeId: cluster.nodeId, epoch }, 'taking over call control')
    if (config.HOTLINE_RECONCILE_S > 0 && !sweepTimer) {
      sweepTimer = setInterval(() => { sweep().catch((err) => log.warn({ err }, 'reconciling dial attempts failed')) }, config.HOTLINE_RECONCILE_S * 1000)
      sweepTimer.unref()
    }
    recordingRetention.start()
    driving = ari.start().catch((err: Error) => { log.error({ err }, 'ARI connection gave up') })
    return driving
  }
  const standDown = async (reason: string): Promise<void> => {
    if (!driving) return
    driving = null
    log.warn({ nodeId: cluster.nodeId, reason }, 'standing down from call control')
    const ariStopped = ari.stop()
    calls.flow.timers.clearAll()
    clearInterval(sweepTimer)
    sweepTimer = undefined
    recordingRetention.stop()
    await Promise.all([ariStopped, followUps.close(), callbacks.stop?.()])
  }
  cluster.on('holder', ({ epoch }) => { void drive(epoch) })
  cluster.on('standby', ({ reason }) => { standDown(reason).catch((err) => log.error({ err }, 'standing down failed')) })
  return {
    cluster, app, io: realtime.io, config, sql, redis, ari, agents: agents.agents, calls: calls.flow, acd: queueing.acd, users: auth.users, audit, recordingRetention,
    tickets: tickets.tickets, followUps, callbacks: callbacks.callbacks,
    async start(opts = {}) {
      await auth.start?.()
      await queueing.start?.()
      await routing.start?.()
      await agents.start?.()
      audit.start()
      await supervision.start?.()
      await cluster.start()
      // In-process callers (tests, the CLI) wait until this node drives the calls and ARI is up;
      // the server process listens at once and competes for the lease in the background.
      if (opts.waitForPbx !== false) {
        while (!driving && !closed) await new Promise((r) => setTimeout(r, 50))
        await driving
        if (!ari.connected && ari.lastError) throw ari.lastError
      }
    },
    async close() {
      if (closed) return
      closed = true
      await routing.stop?.()
      await auth.stop?.()
      audit.stop()
      await tickets.stop?.()
      await supervision.stop?.()
      if (driving) {
        // A rolling deploy: no new offers from here; the seats ringing now answer or fail under
        // this node (an answer while no node serves the app would be lost). closeWithGrace gives 10 s.
        await queueing.acd.stop()
        const until = Date.now() + 6000
        while (Date.now() < until && (await calls.live.list().catch(() => [])).some((c) => c.phase === 'offered')) await new Promise((r) => setTimeout(r, 100))
      }
      await standDown('node stopping')
      await queueing.stop?.()
      await ari.stop()
      await calls.stop?.()
      // Given up only once this node's calls are quiet: the next holder starts from settled records.
      await cluster.close()
      await agents.stop?.()
      await realtime.close()
      await app.close()
      await pacingSql.end({ timeout: 5 })
      await sql.end({ timeout: 5 })
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}
