/**
 * The follow-up capability (回访), wired: store, dialer (scheduler + survey) on the ARI router,
 * REST routes and the supervisors' dialer page; agent-assisted follow-ups are handed to the call
 * flow and settled when its call ends.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import type { Logger } from 'pino'
import type { CallFlow } from '../calls/service.ts'
import type { Clock } from '../domain/clock.ts'
import type { Contribution } from '../domain/module.ts'
import type { Sql } from '../db/sql.ts'
import type { AriRouter } from '../pbx/ari/router.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { TicketService } from '../tickets/service.ts'
import { followUpRoutes } from './routes.ts'
import { followUpRecordingRoutes } from './recording-routes.ts'
import { FOLLOW_UP_ENTRY, FollowUpDialer, type DialerSettings } from './scheduler.ts'
import { FollowUpStore } from './store.ts'
import type { AuditLog } from '../audit/index.ts'

export const DIALER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/dialer')

export interface FollowUps extends Contribution {
  store: FollowUpStore
  dialer: FollowUpDialer
  start(): Promise<void>
  /** After each PBX (re)connect: attempts whose channel vanished are settled, then the dialer runs. */
  pbxConnected(): Promise<void>
  /** The periodic sweep: attempts whose channel vanished in an event gap are settled. */
  reconcile(): Promise<void>
  close(): Promise<void>
}

export function createFollowUps(deps: {
  sql: Sql; rest: AriRest
  /** Where the dialer counts and claims (a connection of its own); default: sql. */
  pacingSql?: Sql; router: AriRouter; calls: CallFlow; tickets: TicketService; clock: Clock; log: Logger; settings: DialerSettings
  /** Trunk changes are audited; their dial templates may only name these PBX trunk endpoints. */
  audit: AuditLog; pbxTrunks: readonly string[]
}): FollowUps {
  const store = new FollowUpStore(deps.sql)
  const dialer = new FollowUpDialer({ store, pacing: deps.pacingSql ? new FollowUpStore(deps.pacingSql) : store, rest: deps.rest, tickets: deps.tickets, clock: deps.clock, log: deps.log.child({ component: 'dialer' }), settings: deps.settings })
  deps.router.onEntry(FOLLOW_UP_ENTRY, (channel, args) => dialer.onAnswered(channel, args))
  deps.router.onOwnedChannel('followup', (event) => dialer.onChannelEvent(event))
  deps.router.onPlayback('survey', (ref, playbackId) => ref.kind === 'survey' ? dialer.onSurveyPlayback(ref.channelId, playbackId) : Promise.resolve())
  // Agent-assisted follow-ups: the answered citizen waits in the campaign's queue for an agent,
  // who evaluates in the panel (POST /v1/tickets/{id}/evaluate); the call's end settles the attempt.
  dialer.handoff = {
    async followUpAnswered(channel, c) {
      await deps.calls.adoptFollowUp(channel, { callId: randomUUID(), callerNumber: c.phoneNumber, lineNumber: c.lineNumber, queueId: c.queueId, ticketId: c.ticketId, attemptId: c.attemptId })
    }
  }
  deps.calls.on('ended', (call) => {
    if (call.followUp) void dialer.agentCallEnded(call.followUp.attemptId).catch((err) => deps.log.warn({ err, callId: call.callId }, 'follow-up attempt not settled'))
  })
  // The supervisors' page (public/dialer/): plain files, the data comes from the REST API.
  const page: FastifyPluginAsync = async (app) => {
    await app.register(fastifyStatic, { root: DIALER_DIR, prefix: '/dialer/', decorateReply: false, index: ['index.html'], logLevel: 'warn' })
  }
  return {
    store, dialer,
    routes: [
      page,
      followUpRoutes({ store, tickets: deps.tickets, audit: deps.audit, pbxTrunks: deps.pbxTrunks, onChange: () => dialer.invalidate(), timeZone: deps.settings.timeZone, now: () => deps.clock.now() }),
      followUpRecordingRoutes({ store, rest: deps.rest })
    ],
    async start() { dialer.start() },
    async pbxConnected() {
      await dialer.recover()
      dialer.start()
    },
    // A timed recovery wants a channel missing twice in a row before it closes an attempt.
    async reconcile() { await dialer.recover({ confirmGone: true }) },
    stop: () => dialer.stop(),
    close: () => dialer.stop()
  }
}
