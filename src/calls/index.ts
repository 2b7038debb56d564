/**
 * The call capability, wired: the live calls (Redis) and their records (PostgreSQL, written in
 * order behind each call), the call flow on the ARI router, call control (hold, mute, consult,
 * transfer), the staffing the announcements use, and the call and call-control routes.
 * A thin composition: the call's behaviour lives in service.ts and the files beside it.
 */
import type { Logger } from 'pino'
import type { AgentService } from '../agents/service.ts'
import type { AgentRecords } from '../agents/store.ts'
import type { ClusterNode } from '../cluster/node.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import type { HotlineMetrics } from '../http/metrics.ts'
import { transferTargetRefusal, type NumberPlan } from '../number-plan/rules.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { AriRouter } from '../pbx/ari/router.ts'
import type { Acd } from '../queueing/service.ts'
import type { QueueDirectory, QueueWaitingStore } from '../queueing/store.ts'
import type { Redis } from '../redis/client.ts'
import type { SeatService } from '../seats/service.ts'
import { CallControl, parseTransferTargets } from './control.ts'
import { callControlRoutes } from './control-routes.ts'
import { DurableCallLog } from './durable-log.ts'
import { seatMatcher } from './model.ts'
import { callRoutes } from './routes.ts'
import { CallFlow } from './service.ts'
import { createStaffingView } from './staffing.ts'
import { CallRecords, LiveCallStore } from './store.ts'
import type { CallPop } from './views.ts'

/** A greeting longer than this is cut: the caller is queued anyway. */
const GREETING_LIMIT_MS = 30_000

export interface Calls extends Contribution {
  flow: CallFlow
  /** Call control as the API and sockets reach it: forwarded to the node that holds the call-control lease. */
  control: CallControl
  live: LiveCallStore
  records: CallRecords
}

export function createCalls(d: {
  config: Config; sql: Sql; redis: Redis; rest: AriRest; router: AriRouter; clock: Clock; log: Logger; metrics: HotlineMetrics
  agents: AgentService; agentRecords: AgentRecords; acd: Acd; waiting: QueueWaitingStore; directory: QueueDirectory; requestDispatch: () => void
  numberPlan: NumberPlan; pop: CallPop; seats: SeatService; sipWsUrl: string
  cluster: Pick<ClusterNode, 'forwarded'>
}): Calls {
  const { config, log } = d
  const live = new LiveCallStore(d.redis)
  const records = new CallRecords(d.sql)
  const callLog = new DurableCallLog(records, log.child({ component: 'call-log' }))
  const flow = new CallFlow({
    rest: d.rest, router: d.router, live, records: callLog, waiting: d.waiting, directory: d.directory, agents: d.agents, clock: d.clock, metrics: d.metrics,
    log: log.child({ component: 'calls' }),
    staffing: createStaffingView({ agents: d.agents, profiles: d.agentRecords, records }),
    settings: {
      app: config.HOTLINE_ARI_APP, greeting: config.HOTLINE_GREETING === 'none' ? '' : config.HOTLINE_GREETING, mohClass: config.HOTLINE_MOH_CLASS, seatTech: config.HOTLINE_SEAT_TECH,
      greetingLimitMs: GREETING_LIMIT_MS, timeZone: config.HOTLINE_TIMEZONE,
      rejoin: { graceMs: config.HOTLINE_SEAT_REJOIN_S * 1000, seatRejoins: seatMatcher(config.HOTLINE_WEB_SEATS), maxRejoins: config.HOTLINE_SEAT_REJOIN_MAX },
      callbackOfferAfterMs: config.HOTLINE_CALLBACK_OFFER_AFTER_S * 1000
    },
    requestDispatch: d.requestDispatch
  })
  d.acd.attach(flow)

  // Transfer targets are numbers the center dials out: each passes the number plan (toll fraud), once, here.
  const transferTargets = parseTransferTargets(config.HOTLINE_TRANSFER_TARGETS)
  for (const target of transferTargets) {
    const refusal = transferTargetRefusal(d.numberPlan, target)
    if (refusal) throw new Error(`HOTLINE_TRANSFER_TARGETS: ${refusal}`)
  }
  const control = new CallControl({
    rest: d.rest, router: d.router, redis: d.redis, live, calls: flow, agents: d.agents, log: log.child({ component: 'call-control' }),
    settings: { app: config.HOTLINE_ARI_APP, mohClass: config.HOTLINE_MOH_CLASS, trunk: config.HOTLINE_TRANSFER_TRUNK, targets: transferTargets, ringTimeoutSeconds: config.HOTLINE_RING_TIMEOUT_S }
  })
  // Call control runs on the holder (the call's lane, ARI subscriptions and timers live there).
  const controlPort = d.cluster.forwarded('call-control', control, ['rejoin', 'command'])
  flow.on('rejoined', (call) => { control.onRejoined(call).catch((err) => log.warn({ err, callId: call.callId }, 'restoring call control after a rejoin failed')) })
  flow.on('ended', (call) => { control.onCallEnded(call).catch((err) => log.warn({ err, callId: call.callId }, 'call control clean-up failed')) })

  return {
    flow, control: controlPort, live, records,
    routes: [
      callRoutes({ records, rest: d.rest }),
      callControlRoutes({ control: controlPort, pop: d.pop, agents: d.agents, seats: d.seats, sipWsUrl: d.sipWsUrl, sipDomain: new URL(d.sipWsUrl).hostname })
    ],
    async pbxConnected(reconnect) {
      await flow.reconcile()
        .then((r) => log.info({ ...r, reconnect }, 'live calls reconciled with the PBX'))
        .catch((err) => log.error({ err }, 'reconcile after connect failed'))
    },
    // After the PBX is gone: the call lanes drain, then the records they wrote are flushed.
    async stop() {
      await flow.idle()
      await callLog.flush()
    }
  }
}
