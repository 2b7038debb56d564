/**
 * Composition root: builds every adapter and capability from the configuration and wires
 * them together. Tests build the same thing and drive it with app.inject(), no port needed.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Logger } from 'pino'
import { AgentCommands } from './agents/commands.ts'
import { AGENT_STATES, DEFAULT_NOT_READY_REASONS } from './agents/model.ts'
import { agentRoutes } from './agents/routes.ts'
import { AgentService } from './agents/service.ts'
import { AgentLiveStore, AgentRecords } from './agents/store.ts'
import { registerAuth } from './auth/plugin.ts'
import { attachAudit, type Audit } from './audit/index.ts'
import { authRoutes } from './auth/routes.ts'
import { UserStore } from './auth/store.ts'
import { LoginThrottle } from './auth/throttle.ts'
import { TokenRevocation } from './auth/revocation.ts'
import { RefreshTokens, SessionService } from './auth/sessions.ts'
import { limitHashing } from './auth/passwords.ts'
import { callRoutes } from './calls/routes.ts'
import { CallFlow } from './calls/service.ts'
import { CallRecords, LiveCallStore } from './calls/store.ts'
import { DurableCallLog } from './calls/durable-log.ts'
import type { Config } from './config.ts'
import { systemClock, type Clock } from './domain/clock.ts'
import { createSql, type Sql } from './db/sql.ts'
import { registerErrorHandling } from './http/errors.ts'
import { loggerOptions } from './http/logging.ts'
import { readTlsFiles, registerSecurityHeaders } from './http/security.ts'
import { healthRoutes } from './http/health.ts'
import { createMetrics } from './http/metrics.ts'
import { AriConnection } from './pbx/ari/connection.ts'
import { AriRouter } from './pbx/ari/router.ts'
import { Acd } from './queueing/service.ts'
import { queueRoutes } from './queueing/routes.ts'
import { QueueDirectory, QueueWaitingStore } from './queueing/store.ts'
import { createRedis, type Redis } from './redis/client.ts'
import { routingRoutes } from './lines/routes.ts'
import { RoutingRecords } from './lines/store.ts'
import { ticketRoutes } from './tickets/routes.ts'
import { TicketService, ticketSettings } from './tickets/service.ts'
import { TicketStore } from './tickets/store.ts'
import { attachUnitWorkspace, registerWorkspacePages } from './tickets/workspace.ts'
import { ticketKpiRoutes } from './ticket-kpis/routes.ts'
import { TicketKpiStore } from './ticket-kpis/store.ts'
import { parseWeights } from './ticket-kpis/rules.ts'
import { statisticsRoutes } from './statistics/routes.ts'
import { StatisticsStore } from './statistics/store.ts'
import type { StaffingView } from './calls/service.ts'
import { attachRealtime } from './realtime/server.ts'
import { attachSupervision } from './supervision/index.ts'
import { CallControl, parseTransferTargets } from './calls/control.ts'
import { seatMatcher } from './calls/model.ts'
import { callControlRoutes } from './calls/control-routes.ts'
import { ScreenPop } from './screen-pop/service.ts'
import { softphoneRoutes } from './softphone/routes.ts'
import { seatRoutes } from './seats/routes.ts'
import { createRecordingRetention, type RecordingRetention } from './recordings/retention.ts'
import { parseNumberPlan, transferTargetRefusal } from './number-plan/rules.ts'
import { SeatService } from './seats/service.ts'
import { SeatAssignments, SeatSecrets } from './seats/store.ts'
import { ariSeatAuth } from './seats/pbx.ts'
import { attachFollowUps, type FollowUps } from './followup/index.ts'
import { CallbackService } from './callbacks/service.ts'
import { CallbackStore } from './callbacks/store.ts'
import { callbackRoutes } from './callbacks/routes.ts'
import { hostname } from 'node:os'
import { ClusterNode } from './cluster/node.ts'
import { clusterRoutes } from './cluster/routes.ts'

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
  const clock = options.clock ?? systemClock
  limitHashing(config.HOTLINE_PASSWORD_HASH_CONCURRENCY)
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
  // Dispatch runs where the calls are driven: an agent made ready on a standby asks the holder.
  const requestDispatch = () => { cluster.requestDispatch() }
  const ari = new AriConnection({ url: config.HOTLINE_ARI_URL, user: config.HOTLINE_ARI_USER, password: config.HOTLINE_ARI_PASSWORD, app: config.HOTLINE_ARI_APP, log: log.child({ component: 'ari' }) })
  const metrics = createMetrics({ ariRequests: () => ari.rest.requestCounts })
  // The one consumer of the Stasis app's events: each capability registers what it owns.
  const router = new AriRouter(log.child({ component: 'ari-router' }))

  const agentLive = new AgentLiveStore(redis)
  const agentRecords = new AgentRecords(sql)
  const agents = new AgentService({
    live: agentLive, records: agentRecords, clock, timeZone: config.HOTLINE_TIMEZONE, log: log.child({ component: 'agents' }),
    policy: { notReadyReasons: DEFAULT_NOT_READY_REASONS, maxWrapUpSeconds: 600 }
  })
  const waiting = new QueueWaitingStore(redis)
  const directory = new QueueDirectory(sql)
  const acd = new Acd({ agents, agentRecords, waiting, directory, log: log.child({ component: 'acd' }), defaultRingTimeoutSeconds: config.HOTLINE_RING_TIMEOUT_S })
  const liveCalls = new LiveCallStore(redis)
  const callRecords = new CallRecords(sql)
  const callLog = new DurableCallLog(callRecords, log.child({ component: 'call-log' }))
  const calls = new CallFlow({
    rest: ari.rest, router, live: liveCalls, records: callLog, waiting, directory, agents, clock, metrics,
    log: log.child({ component: 'calls' }),
    staffing: createStaffingView(sql, agents, agentRecords),
    settings: { app: config.HOTLINE_ARI_APP, greeting: config.HOTLINE_GREETING === 'none' ? '' : config.HOTLINE_GREETING, mohClass: config.HOTLINE_MOH_CLASS, seatTech: config.HOTLINE_SEAT_TECH, greetingLimitMs: 30_000, timeZone: config.HOTLINE_TIMEZONE,
      rejoin: { graceMs: config.HOTLINE_SEAT_REJOIN_S * 1000, seatRejoins: seatMatcher(config.HOTLINE_WEB_SEATS), maxRejoins: config.HOTLINE_SEAT_REJOIN_MAX },
      callbackOfferAfterMs: config.HOTLINE_CALLBACK_OFFER_AFTER_S * 1000 },
    requestDispatch
  })
  acd.attach(calls)
  cluster.onDispatch(() => { void acd.request() })
  agents.on('changed', ({ next }) => { if (next.state === 'ready') requestDispatch() })
  metrics.attachLive({
    async waitingByQueue() {
      const out: Record<string, number> = {}
      for (const id of (await directory.allQueues()).keys()) out[id] = await waiting.count(id)
      return out
    },
    async agentsByState() {
      const out: Record<string, number> = Object.fromEntries(AGENT_STATES.filter((s) => s !== 'signed-out').map((s) => [s, 0]))
      for (const a of await agents.listSignedIn()) out[a.state] = (out[a.state] ?? 0) + 1
      return out
    }
  })
  const users = new UserStore(sql)

  await app.register(swagger, {
    openapi: {
      info: { title: 'Hotline 12345 contact center API', version: '0.1.0', description: 'Queueing, agents, calls and recordings for 12345 government service hotlines' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, metricsToken: { type: 'http', scheme: 'bearer', description: 'HOTLINE_METRICS_TOKEN: the Prometheus scraper\'s token (authorization.credentials)' } } }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  const sipWsUrl = config.HOTLINE_SIP_WS_URL ?? config.HOTLINE_ARI_URL.replace(/^http/, 'ws').replace(/\/+$/, '') + '/ws'
  await registerSecurityHeaders(app, { connectSources: [new URL(sipWsUrl).origin], tls: tls !== null })
  const revocation = new TokenRevocation(redis, config.HOTLINE_ACCESS_TOKEN_TTL_S)
  await registerAuth(app, config.HOTLINE_JWT_SECRET, revocation)
  // Tokens carry wall-clock times (the JWT's exp, the revocation moment), never the test clock's.
  const refreshTokens = new RefreshTokens(sql)
  const sessions = new SessionService({
    app, refresh: refreshTokens, revocation, now: () => Date.now(),
    accessTtlSeconds: config.HOTLINE_ACCESS_TOKEN_TTL_S, sessionTtlSeconds: config.HOTLINE_SESSION_TTL_S
  })
  registerErrorHandling(app)
  const audit = await attachAudit({ app, sql, log: log.child({ component: 'audit' }), retentionDays: config.HOTLINE_AUDIT_RETENTION_DAYS, now: () => clock.now() })
  const recordingRetention = createRecordingRetention({ sql, rest: ari.rest, audit: audit.log, log: log.child({ component: 'recording-retention' }), retentionDays: config.HOTLINE_RECORDING_RETENTION_DAYS, now: () => clock.now() })
  const seats = new SeatService({
    assignments: new SeatAssignments(sql), secrets: new SeatSecrets(redis), pbx: ariSeatAuth(ari.rest), audit: audit.log,
    log: log.child({ component: 'seats' }), deskSeats: config.HOTLINE_SEATS, webSeats: config.HOTLINE_WEB_SEATS
  })
  const commands = new AgentCommands({ agents, live: agentLive, records: agentRecords, seats })
  await app.register(healthRoutes({
    metrics, metricsToken: config.HOTLINE_METRICS_TOKEN,
    probes: {
      // The holder must have its Stasis websocket; a standby only needs the PBX's REST side.
      asterisk: async () => { if (cluster.role === 'holder' && !ari.connected) throw new Error(ari.lastError?.message ?? 'ARI not connected'); await ari.rest.info() },
      postgres: async () => { await sql`select 1` },
      redis: async () => { await redis.ping() }
    }
  }))
  await app.register(authRoutes({
    users, sessions, audit: audit.log,
    login: {
      redis, perAddressPerMinute: config.HOTLINE_LOGIN_RATE_PER_MIN,
      throttle: new LoginThrottle(redis, { maxFailures: config.HOTLINE_LOGIN_MAX_FAILURES, lockoutSeconds: config.HOTLINE_LOGIN_LOCKOUT_S, windowSeconds: 900 })
    }
  }))
  await app.register(agentRoutes({ commands, agents }))
  await app.register(callRoutes({ records: callRecords, rest: ari.rest }))
  await app.register(queueRoutes({ directory, waiting, now: () => clock.now() }))
  const routingRecords = new RoutingRecords(sql)
  const loadNotReadyReasons = async () => { agents.setNotReadyReasons((await routingRecords.notReadyReasons()).map((r) => r.code)) }
  await app.register(routingRoutes({ records: routingRecords, directory, onReasonsChanged: loadNotReadyReasons }))
  const tickets = new TicketService(ticketSettings(config, new TicketStore(sql), clock, log.child({ component: 'tickets' })))
  await app.register(ticketKpiRoutes({
    store: new TicketKpiStore(sql), timeZone: config.HOTLINE_TIMEZONE, now: () => clock.now(), audit: audit.log,
    settings: { signForLimitHours: config.HOTLINE_KPI_SIGN_FOR_LIMIT_H, repeatWindowDays: config.HOTLINE_REPEAT_WINDOW_DAYS, weights: parseWeights(config.HOTLINE_KPI_WEIGHTS) },
    unitNames: async () => new Map((await tickets.units()).map((u) => [u.id, u.name]))
  }))
  await app.register(ticketRoutes({ tickets, now: () => clock.now(), attachmentMaxBytes: config.HOTLINE_ATTACHMENT_MAX_BYTES, audit: audit.log }))
  await app.register(statisticsRoutes({ store: new StatisticsStore(sql), timeZone: config.HOTLINE_TIMEZONE, now: () => clock.now() }))

  // Every number the center dials out passes the number plan (toll fraud); transfer targets are checked once, here.
  const numberPlan = parseNumberPlan(config.HOTLINE_NUMBER_PLAN)
  const pbxTrunks = [...new Set([config.HOTLINE_TRANSFER_TRUNK, config.HOTLINE_CALLBACK_TRUNK])]
  const transferTargets = parseTransferTargets(config.HOTLINE_TRANSFER_TARGETS)
  for (const target of transferTargets) {
    const refusal = transferTargetRefusal(numberPlan, target)
    if (refusal) throw new Error(`HOTLINE_TRANSFER_TARGETS: ${refusal}`)
  }
  const control = new CallControl({
    rest: ari.rest, router, redis, live: liveCalls, calls, agents, log: log.child({ component: 'call-control' }),
    settings: { app: config.HOTLINE_ARI_APP, mohClass: config.HOTLINE_MOH_CLASS, trunk: config.HOTLINE_TRANSFER_TRUNK, targets: transferTargets, ringTimeoutSeconds: config.HOTLINE_RING_TIMEOUT_S }
  })
  // Call control runs on the holder (the call's lane, ARI subscriptions and timers live there).
  const controlPort = cluster.forwarded('call-control', control, ['rejoin', 'command'])
  calls.on('rejoined', (call) => { control.onRejoined(call).catch((err) => log.warn({ err, callId: call.callId }, 'restoring call control after a rejoin failed')) })
  calls.on('ended', (call) => { control.onCallEnded(call).catch((err) => log.warn({ err, callId: call.callId }, 'call control clean-up failed')) })
  const pop = new ScreenPop({ directory, tickets, log: log.child({ component: 'screen-pop' }), now: () => clock.now() })
  await app.register(callControlRoutes({ control: controlPort, pop, agents, seats, sipWsUrl, sipDomain: new URL(sipWsUrl).hostname }))
  await app.register(softphoneRoutes({ seats, agents }))
  await app.register(seatRoutes({ seats }))
  await registerWorkspacePages(app)
  const realtime = attachRealtime({ app, redis, agents, commands, calls, waiting, directory, now: () => clock.now(), control: controlPort, pop, log: log.child({ component: 'realtime' }), revocation, commandsPerSecond: config.HOTLINE_SOCKET_COMMANDS_PER_S })
  const supervision = await attachSupervision({
    app, io: realtime.io, sql, ari, router, calls, liveCalls, agents, agentRecords, commands, waiting, directory, clock, log,
    settings: { app: config.HOTLINE_ARI_APP, seatTech: config.HOTLINE_SEAT_TECH, timeZone: config.HOTLINE_TIMEZONE, maskCallers: config.HOTLINE_WALLBOARD_MASK_CALLER, pushIntervalMs: config.HOTLINE_WALLBOARD_PUSH_MS },
    requestDispatch, seats,
    forward: (actions) => cluster.forwarded('supervision', actions, ['forceNotReady', 'forceSignOut', 'moveCall', 'callToHead', 'intervene', 'stop', 'list'])
  })
  await app.register(clusterRoutes({ cluster }))

  const workspace = attachUnitWorkspace({ io: realtime.io, sessions: realtime.sessions, tickets, now: () => clock.now(), log: log.child({ component: 'unit-workspace' }), reminderSweepMs: config.HOTLINE_REMINDER_SWEEP_S * 1000 })

  // The dialer's pace (count open attempts, claim due tasks) on a connection of its own: its
  // claims never queue behind the writes of the calls it already placed (bench:dialer).
  const pacingSql = createSql(config.DATABASE_URL, { max: 1, applicationName: 'hotline-dialer' })
  const followUps = await attachFollowUps({
    app, sql, pacingSql, rest: ari.rest, router, calls, tickets, clock: options.dialerClock ?? clock, log,
    settings: { app: config.HOTLINE_ARI_APP, timeZone: config.HOTLINE_TIMEZONE, tickMs: config.HOTLINE_DIALER_TICK_MS, inputTimeoutMs: config.HOTLINE_SURVEY_INPUT_TIMEOUT_S * 1000, callerId: config.HOTLINE_DIALER_CALLER_ID, numberPlan },
    audit: audit.log, pbxTrunks
  })

  const callbackStore = new CallbackStore(sql)
  const callbacks = new CallbackService({
    store: callbackStore, dialerStore: followUps.store, calls, liveCalls, waiting, agents, rest: ari.rest, clock: options.dialerClock ?? clock,
    log: log.child({ component: 'callbacks' }), requestDispatch, router,
    settings: {
      app: config.HOTLINE_ARI_APP, timeZone: config.HOTLINE_TIMEZONE, offerAfterMs: config.HOTLINE_CALLBACK_OFFER_AFTER_S * 1000,
      abandonAfterMs: config.HOTLINE_CALLBACK_ABANDON_AFTER_S * 1000, maxAttempts: config.HOTLINE_CALLBACK_MAX_ATTEMPTS,
      retryMinutes: config.HOTLINE_CALLBACK_RETRY_MINUTES.split(',').map(Number), ringSeconds: config.HOTLINE_CALLBACK_RING_S,
      trunkId: config.HOTLINE_CALLBACK_TRUNK, callerId: config.HOTLINE_DIALER_CALLER_ID, numberPlan, tickMs: config.HOTLINE_DIALER_TICK_MS > 0 ? 1000 : 0
    }
  })
  callbacks.attach()
  // Callback entries hold a caller's place; when their turn comes the caller is dialled first.
  acd.attach({ offer: (entry, agent, ring) => (CallbackService.isCallbackEntry(entry) ? callbacks.dialFor(entry, agent, ring) : calls.offer(entry, agent, ring)) })
  await app.register(callbackRoutes({ store: callbackStore, sql, timeZone: config.HOTLINE_TIMEZONE }))

  ari.on('event', (event) => {
    router.dispatch(event).catch((err) => log.error({ err, type: event.type }, 'ARI event handling failed'))
  })
  // Open dial attempts against the PBX (a channel whose end was lost in an event gap is closed)
  // and agents held by a call that no longer exists: after every (re)connect and on a timer.
  const reconcileAttempts = async () => {
    if (!ari.connected) return
    await followUps.dialer.recover({ confirmGone: true })
    await callbacks.recover()
    await calls.releaseStrandedAgents((callId) => callbacks.isDialling(callId))
  }
  ari.on('connected', ({ reconnect }) => {
    if (cluster.role !== 'holder') return
    seats.reconcilePbx()
      .then((r) => log.info({ ...r, reconnect }, 'web seat credentials reconciled with the PBX'))
      .catch((err) => log.error({ err }, 'reconciling web seat credentials failed'))
    calls.reconcile()
      .then((r) => log.info({ ...r, reconnect }, 'live calls reconciled with the PBX'))
      .catch((err) => log.error({ err }, 'reconcile after connect failed'))
    followUps.dialer.recover()
      .then(() => followUps.start())
      .then(() => callbacks.recover())
      .then(() => callbacks.start())
      .catch((err) => log.error({ err }, 'dialer recovery after connect failed'))
  })
  ari.on('disconnected', ({ reason }) => log.warn({ reason }, 'ARI disconnected'))

  let closed = false
  let reasonsTimer: NodeJS.Timeout | undefined
  let refreshPurgeTimer: NodeJS.Timeout | undefined
  let reconcileTimer: NodeJS.Timeout | undefined
  // Driving the calls: only while this node holds the lease. Standing down stops every
  // call-driving activity at once (the Stasis websocket first: Asterisk then holds new callers
  // in the dialplan until the next holder connects); taking over reconnects, and the connect
  // handler above reconciles from Redis, re-arms the calls' due times and restarts the dialer.
  let driving: Promise<void> | null = null
  const drive = (epoch: number): Promise<void> => {
    log.info({ nodeId: cluster.nodeId, epoch }, 'taking over call control')
    if (config.HOTLINE_RECONCILE_S > 0 && !reconcileTimer) {
      reconcileTimer = setInterval(() => { reconcileAttempts().catch((err) => log.warn({ err }, 'reconciling dial attempts failed')) }, config.HOTLINE_RECONCILE_S * 1000)
      reconcileTimer.unref()
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
    calls.timers.clearAll()
    clearInterval(reconcileTimer)
    reconcileTimer = undefined
    recordingRetention.stop()
    await Promise.all([ariStopped, followUps.close(), callbacks.stop()])
  }
  cluster.on('holder', ({ epoch }) => { void drive(epoch) })
  cluster.on('standby', ({ reason }) => { standDown(reason).catch((err) => log.error({ err }, 'standing down failed')) })
  return {
    cluster, app, io: realtime.io, config, sql, redis, ari, agents, calls, acd, users, audit, recordingRetention, tickets, followUps, callbacks,
    async start(opts = {}) {
      if (config.HOTLINE_ADMIN_PASSWORD && (await users.bootstrapAdmin(config.HOTLINE_ADMIN_PASSWORD))) {
        log.info('created the first administrator (user id "admin")')
      }
      await directory.refresh()
      await loadNotReadyReasons()
      // Another node's administrator may change the list: pick it up within a minute.
      reasonsTimer = setInterval(() => { loadNotReadyReasons().catch((err) => log.warn({ err }, 'reloading not-ready reasons failed')) }, 60_000)
      reasonsTimer.unref()
      // Refresh tokens past their session's end (and a day) can serve nobody: removed hourly.
      refreshPurgeTimer = setInterval(() => { refreshTokens.purge(new Date()).catch((err) => log.warn({ err }, 'purging ended refresh tokens failed')) }, 3_600_000)
      refreshPurgeTimer.unref()
      await agents.rearmTimers()
      audit.start()
      await supervision.start()
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
      clearInterval(reasonsTimer)
      clearInterval(refreshPurgeTimer)
      audit.stop()
      workspace.close()
      await supervision.close()
      if (driving) {
        // A rolling deploy: no new offers from here; the seats ringing now answer or fail under
        // this node (an answer while no node serves the app would be lost). closeWithGrace gives 10 s.
        await acd.stop()
        const until = Date.now() + 6000
        while (Date.now() < until && (await liveCalls.list().catch(() => [])).some((c) => c.phase === 'offered')) await new Promise((r) => setTimeout(r, 100))
      }
      await standDown('node stopping')
      await acd.stop()
      await ari.stop()
      await calls.idle()
      await callLog.flush()
      // Given up only once this node's calls are quiet: the next holder starts from settled records.
      await cluster.close()
      await agents.close()
      await realtime.close()
      await app.close()
      await pacingSql.end({ timeout: 5 })
      await sql.end({ timeout: 5 })
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}

/** Who is signed in per queue (from Redis + profiles) and recent handle times (from PostgreSQL). */
function createStaffingView(sql: Sql, agents: AgentService, records: AgentRecords): StaffingView {
  const aht = new Map<string, { at: number; seconds: number }>()
  return {
    async signedInServing(queueId) {
      const signedIn = await agents.listSignedIn()
      if (signedIn.length === 0) return 0
      const profiles = await records.profiles(signedIn.map((a) => a.agentId))
      return profiles.filter((p) => p.queues.includes(queueId)).length
    },
    async averageHandleSeconds(queueId) {
      const cached = aht.get(queueId)
      if (cached && Date.now() - cached.at < 60_000) return cached.seconds
      const [row] = await sql<{ avg: number | null }[]>`select avg(extract(epoch from ended_at - answered_at))::float8 as avg from (
        select ended_at, answered_at from calls where queue_id = ${queueId} and answered_at is not null and ended_at is not null
        order by ended_at desc limit 200) recent`
      // 3 minutes until the queue has a history of its own.
      const seconds = row?.avg ? Math.max(30, Math.round(row.avg)) : 180
      aht.set(queueId, { at: Date.now(), seconds })
      return seconds
    }
  }
}
