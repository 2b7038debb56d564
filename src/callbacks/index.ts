/**
 * Callbacks (回拨), wired: the tasks (PostgreSQL), the service that offers, books and dials them,
 * the REST routes, and the ACD's offer sink: a callback entry reaching its turn dials the
 * citizen for the reserved agent, any other entry rings the agent through the call flow.
 */
import type { Logger } from 'pino'
import type { AgentService } from '../agents/service.ts'
import type { CallFlow } from '../calls/service.ts'
import type { LiveCallStore } from '../calls/store.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import type { NumberPlan } from '../number-plan/rules.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { AriRouter } from '../pbx/ari/router.ts'
import type { Acd } from '../queueing/service.ts'
import type { QueueWaitingStore } from '../queueing/store.ts'
import { callbackRoutes } from './routes.ts'
import { CallbackService } from './service.ts'
import { CallbackStore } from './store.ts'

export interface Callbacks extends Contribution {
  callbacks: CallbackService
  store: CallbackStore
}

export function createCallbacks(d: {
  config: Config; sql: Sql; rest: AriRest; router: AriRouter; clock: Clock; log: Logger; numberPlan: NumberPlan
  calls: CallFlow; liveCalls: LiveCallStore; waiting: QueueWaitingStore; agents: AgentService; acd: Acd
  requestDispatch: () => void
}): Callbacks {
  const { config } = d
  const store = new CallbackStore(d.sql)
  const callbacks = new CallbackService({
    store, calls: d.calls, liveCalls: d.liveCalls, waiting: d.waiting, agents: d.agents, rest: d.rest, clock: d.clock,
    log: d.log.child({ component: 'callbacks' }), requestDispatch: d.requestDispatch, router: d.router,
    settings: {
      app: config.HOTLINE_ARI_APP, timeZone: config.HOTLINE_TIMEZONE, offerAfterMs: config.HOTLINE_CALLBACK_OFFER_AFTER_S * 1000,
      abandonAfterMs: config.HOTLINE_CALLBACK_ABANDON_AFTER_S * 1000, maxAttempts: config.HOTLINE_CALLBACK_MAX_ATTEMPTS,
      retryMinutes: config.HOTLINE_CALLBACK_RETRY_MINUTES.split(',').map(Number), ringSeconds: config.HOTLINE_CALLBACK_RING_S,
      // The dialer's tick setting switches the callback sweep too (0: tests drive it), at a second.
      trunkId: config.HOTLINE_CALLBACK_TRUNK, callerId: config.HOTLINE_DIALER_CALLER_ID, numberPlan: d.numberPlan, tickMs: config.HOTLINE_DIALER_TICK_MS > 0 ? 1000 : 0
    }
  })
  callbacks.attach()
  // Callback entries hold a caller's place; when their turn comes the caller is dialled first.
  d.acd.attach({ offer: (entry, agent, ring) => (CallbackService.isCallbackEntry(entry) ? callbacks.dialFor(entry, agent, ring) : d.calls.offer(entry, agent, ring)) })
  return {
    callbacks, store,
    routes: [callbackRoutes({ store, timeZone: config.HOTLINE_TIMEZONE })],
    async pbxConnected() {
      await callbacks.recover()
      callbacks.start()
    },
    async reconcile() { await callbacks.recover() },
    stop: () => callbacks.stop()
  }
}
