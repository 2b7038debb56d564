/**
 * What a supervisor does to live work: listen to (监听), whisper to (耳语) and barge into (强插) an
 * agent's call through the supervisor's own seat; force an agent to not ready or to sign out;
 * move a waiting caller to another queue or to the head of its queue. Every attempt is written to
 * supervisor_actions with who did it, including refused ones.
 *
 * Listening and whispering use an ARI snoop on the agent's channel (spy both directions, so
 * the supervisor hears caller and agent; for whisper the supervisor's audio goes out to the
 * agent only), joined with the supervisor's seat in a mixing bridge of its own. Barging adds the
 * supervisor's seat to the call's own mixing bridge: all three hear each other, and the call's
 * recording keeps the supervisor's words too.
 *
 * Asterisk behaviour relied on: the snoop channel enters Stasis (our app, our args) as soon as
 * it is created; the originated seat enters Stasis only when answered.
 */
import { randomUUID } from 'node:crypto'
import createError from '@fastify/error'
import type { Logger } from 'pino'
import { SYSTEM_REASONS } from '../agents/model.ts'
import type { AgentCommands } from '../agents/commands.ts'
import type { AgentLive } from '../agents/model.ts'
import type { CallFlow } from '../calls/service.ts'
import type { LiveCallStore } from '../calls/store.ts'
import type { LiveCall } from '../calls/model.ts'
import { bridgeIds, channelIds, STASIS_ENTRY } from '../pbx/ari/ids.ts'
import type { AriRouter } from '../pbx/ari/router.ts'
import type { Sql } from '../db/sql.ts'
import { AriNotFound } from '../pbx/ari/errors.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { QueueDirectory, QueueWaitingStore } from '../queueing/store.ts'
import type { InterventionMode, InterventionView, SupervisorActionName } from './model.ts'

export const SupervisionErrors = {
  noSuchCall: createError<[string]>('HOTLINE_SUPERVISION_NO_SUCH_CALL', "no live call '%s'", 404),
  notTalking: createError<[string, string]>('HOTLINE_SUPERVISION_CALL_NOT_CONNECTED', "call '%s' is not connected to an agent (it is %s)", 409),
  noSuchSeat: createError<[string]>('HOTLINE_SUPERVISION_NO_SUCH_SEAT', "no seat '%s' on the PBX", 404),
  noSuchQueue: createError<[string]>('HOTLINE_SUPERVISION_NO_SUCH_QUEUE', "no queue '%s'", 404),
  notWaiting: createError<[string, string]>('HOTLINE_SUPERVISION_NOT_WAITING', "call '%s' is not waiting in queue '%s'", 404),
  sameQueue: createError<[string]>('HOTLINE_BAD_REQUEST', 'body.toQueueId: the call already waits in %s', 400),
  busy: createError<[string]>('HOTLINE_SUPERVISION_BUSY', "call '%s' is being offered right now; try again", 409),
  noSuchSession: createError<[string]>('HOTLINE_SUPERVISION_NO_SUCH_SESSION', "no intervention '%s'", 404)
}

export interface Actor { id: string; role: string }

interface Session extends InterventionView { endedAt?: number }

/** Stasis args of a supervisor's legs: supervisor,<snoop|leg>,<session id>. */
const LEG = { snoop: 'snoop', seat: 'leg' } as const

export class SupervisorActionLog {
  constructor(private readonly sql: Sql) {}

  async write(a: { actor: Actor; action: SupervisorActionName; agentId?: string | null; callId?: string | null; queueId?: string | null; detail?: Record<string, unknown>; ok: boolean; error?: string | null }): Promise<void> {
    await this.sql`insert into supervisor_actions (actor, actor_role, action, agent_id, call_id, queue_id, detail, ok, error)
      values (${a.actor.id}, ${a.actor.role}, ${a.action}, ${a.agentId ?? null}, ${a.callId ?? null}, ${a.queueId ?? null},
        ${a.detail ? this.sql.json(a.detail as never) : null}, ${a.ok}, ${a.error ?? null})`
  }

  async list(filter: { from?: Date; to?: Date; actor?: string; limit: number }) {
    return this.sql<{ id: string; at: Date; actor: string; actorRole: string; action: string; agentId: string | null; callId: string | null; queueId: string | null; detail: unknown; ok: boolean; error: string | null }[]>`
      select id::text, at, actor, actor_role, action, agent_id, call_id::text, queue_id, detail, ok, error from supervisor_actions where true
      ${filter.from ? this.sql`and at >= ${filter.from}` : this.sql``}
      ${filter.to ? this.sql`and at < ${filter.to}` : this.sql``}
      ${filter.actor ? this.sql`and actor = ${filter.actor}` : this.sql``}
      order by supervisor_actions.id desc limit ${filter.limit}`
  }
}

export interface SupervisorActionsDeps {
  rest: AriRest
  calls: CallFlow
  liveCalls: LiveCallStore
  commands: AgentCommands
  waiting: QueueWaitingStore
  directory: QueueDirectory
  log: SupervisorActionLog
  logger: Logger
  app: string
  seatTech: string
  requestDispatch: () => void
  router: AriRouter
  /** Whether a seat is this supervisor's own (src/seats/): refuses with a 404 or 403 otherwise. */
  seats: { authorizeIntervention(seat: string, supervisorId: string, context: { actorRole: string; mode: string; callId: string }): Promise<unknown> }
}

export class SupervisorActions {
  private readonly sessions = new Map<string, Session>()
  private readonly byChannel = new Map<string, string>()
  /** Listeners get every change of an intervention (the wallboard shows them). */
  onSession: (s: InterventionView) => void = () => {}

  constructor(private readonly d: SupervisorActionsDeps) {
    d.router.onEntry(STASIS_ENTRY.supervisor, (channel, args) => this.onStasisStart(channel, args))
    d.router.onOwnedChannel('supervisor', (event) => { if (event.type !== 'ChannelDtmfReceived') this.onLegGone(event.channel.id); return Promise.resolve() })
    d.calls.on('ended', (call) => { for (const s of this.sessions.values()) if (s.callId === call.callId) void this.end(s, 'call ended') })
  }

  /** Runs an action and logs it, refused or done. */
  private async audited<T>(actor: Actor, action: SupervisorActionName, target: { agentId?: string | null; callId?: string | null; queueId?: string | null; detail?: Record<string, unknown> }, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work()
      await this.d.log.write({ actor, action, ...target, ok: true })
      return result
    } catch (err) {
      await this.d.log.write({ actor, action, ...target, ok: false, error: (err as Error).message }).catch((e) => this.d.logger.error({ err: e }, 'could not log a supervisor action'))
      throw err
    }
  }

  forceNotReady(actor: Actor, agentId: string, reason: string): Promise<AgentLive> {
    return this.audited(actor, 'force-not-ready', { agentId, detail: { reason } }, () => this.d.commands.setNotReady(agentId, reason || SYSTEM_REASONS.forced, actor.id, true))
  }

  forceSignOut(actor: Actor, agentId: string): Promise<AgentLive> {
    return this.audited(actor, 'force-sign-out', { agentId }, () => this.d.commands.signOut(agentId, actor.id, true))
  }

  /** Moves a waiting caller to another queue, as an overflow does (the queue log says so). */
  moveCall(actor: Actor, queueId: string, callId: string, toQueueId: string): Promise<{ callId: string; queueId: string }> {
    return this.audited(actor, 'move-call', { callId, queueId, detail: { toQueueId } }, async () => {
      if (toQueueId === queueId) throw new SupervisionErrors.sameQueue(queueId)
      if (!(await this.d.directory.queue(toQueueId))) throw new SupervisionErrors.noSuchQueue(toQueueId)
      await this.requireWaiting(queueId, callId)
      const result = await this.d.calls.moveQueued(callId, queueId, toQueueId, `supervisor:${actor.id}`)
      if (result !== 'moved') throw new SupervisionErrors.busy(callId)
      return { callId, queueId: toQueueId }
    })
  }

  /**
   * Puts a waiting caller first in their queue: the entry is re-scored ahead of the current
   * head (same priority, a moment earlier). Done in the call's lane, so a hang-up cannot
   * interleave and leave a ghost entry; the claim (remove) also keeps the ACD off it meanwhile.
   */
  callToHead(actor: Actor, queueId: string, callId: string): Promise<{ callId: string; queueId: string; position: number }> {
    return this.audited(actor, 'call-to-head', { callId, queueId }, async () => {
      await this.requireWaiting(queueId, callId)
      const moved = await this.d.calls.runInCallLane(callId, async () => {
        const entry = await this.d.waiting.get(callId)
        const call = await this.d.liveCalls.get(callId)
        if (!entry || entry.queueId !== queueId || call?.phase !== 'queued') return false
        const [head] = await this.d.waiting.waiting([queueId], 1)
        if (!head || head.callId === callId) return true
        if (!(await this.d.waiting.remove(queueId, callId))) return false
        await this.d.waiting.add({ ...entry, priority: Math.max(entry.priority, head.priority), enteredAt: head.enteredAt - 1 })
        return true
      })
      if (!moved) throw new SupervisionErrors.busy(callId)
      this.d.calls.emit('queue-changed', queueId)
      this.d.requestDispatch()
      return { callId, queueId, position: 1 }
    })
  }

  private async requireWaiting(queueId: string, callId: string): Promise<void> {
    if (!(await this.d.directory.queue(queueId))) throw new SupervisionErrors.noSuchQueue(queueId)
    const entry = await this.d.waiting.get(callId)
    if (!entry || entry.queueId !== queueId) throw new SupervisionErrors.notWaiting(callId, queueId)
  }

  /** Listen, whisper or barge: rings the supervisor's own seat (assigned to them), which joins when answered. */
  intervene(actor: Actor, mode: InterventionMode, callId: string, seat: string): Promise<InterventionView> {
    return this.audited(actor, mode, { callId, detail: { seat } }, async () => {
      const call = await this.d.liveCalls.get(callId)
      if (!call) throw new SupervisionErrors.noSuchCall(callId)
      if (call.phase !== 'talking' || !call.agentChannelId || !call.bridgeId) throw new SupervisionErrors.notTalking(callId, call.phase)
      // Only the supervisor's assigned seat rings and joins: any endpoint (the trunk, an agent's
      // seat) would let a supervisor send a call's audio wherever they like.
      await this.d.seats.authorizeIntervention(seat, actor.id, { actorRole: actor.role, mode, callId })
      try { await this.d.rest.endpoint(this.d.seatTech, seat) } catch (err) {
        if (err instanceof AriNotFound) throw new SupervisionErrors.noSuchSeat(seat)
        throw err
      }
      return this.startSession(actor, mode, call, seat)
    })
  }

  private async startSession(actor: Actor, mode: InterventionMode, call: LiveCall, seat: string): Promise<InterventionView> {
    const sessionId = randomUUID()
    const s: Session = {
      sessionId, mode, callId: call.callId, agentId: call.agentId, seat, supervisorId: actor.id, state: 'ringing',
      bridgeId: mode === 'barge' ? call.bridgeId! : bridgeIds.supervision(sessionId),
      snoopChannelId: mode === 'barge' ? null : channelIds.snoop(sessionId),
      supervisorChannelId: channelIds.supervisorSeat(sessionId),
      startedAt: new Date().toISOString()
    }
    this.sessions.set(sessionId, s)
    this.byChannel.set(s.supervisorChannelId, sessionId)
    if (s.snoopChannelId) this.byChannel.set(s.snoopChannelId, sessionId)
    try {
      if (mode !== 'barge') {
        await this.d.rest.createBridge(s.bridgeId, 'mixing', s.bridgeId)
        await this.d.rest.snoop(call.agentChannelId!, {
          snoopId: s.snoopChannelId!, app: this.d.app, appArgs: [STASIS_ENTRY.supervisor, LEG.snoop, sessionId].join(','),
          spy: 'both', whisper: mode === 'whisper' ? 'out' : 'none'
        })
      }
      await this.d.rest.originate({
        channelId: s.supervisorChannelId, endpoint: `${this.d.seatTech}/${seat}`, app: this.d.app,
        appArgs: [STASIS_ENTRY.supervisor, LEG.seat, sessionId].join(','),
        callerId: `"${mode}:${call.agentId ?? ''}" <${seat}>`, timeoutSeconds: 30
      })
    } catch (err) {
      await this.end(s, 'set-up failed')
      if (err instanceof AriNotFound) throw new SupervisionErrors.notTalking(call.callId, 'gone')
      throw err
    }
    this.d.logger.info({ sessionId, mode, callId: call.callId, agentId: call.agentId, seat, supervisor: actor.id }, 'supervisor intervention started')
    this.onSession({ ...s })
    return { ...s }
  }

  private async onStasisStart(channel: AriChannel, args: string[]): Promise<void> {
    const [kind, sessionId] = args
    const s = sessionId ? this.sessions.get(sessionId) : undefined
    if (!s || s.state === 'ended') {
      await this.d.rest.hangup(channel.id).catch(() => {})
      return
    }
    try {
      if (kind === LEG.snoop) {
        await this.d.rest.addToBridge(s.bridgeId, [channel.id])
      } else if (kind === LEG.seat) {
        await this.d.rest.addToBridge(s.bridgeId, [channel.id])
        s.state = 'connected'
        this.onSession({ ...s })
      }
    } catch (err) {
      this.d.logger.warn({ err: (err as Error).message, sessionId }, 'supervisor leg could not join')
      await this.end(s, 'join failed')
    }
  }

  /** When either of our legs goes, the whole intervention ends. */
  private onLegGone(channelId: string): void {
    const sessionId = this.byChannel.get(channelId)
    const s = sessionId ? this.sessions.get(sessionId) : undefined
    if (s) void this.end(s, `${channelId === s.supervisorChannelId ? 'supervisor' : 'snoop'} leg gone`)
  }

  async stop(actor: Actor, sessionId: string): Promise<InterventionView> {
    const s = this.sessions.get(sessionId)
    if (!s) throw new SupervisionErrors.noSuchSession(sessionId)
    await this.end(s, `stopped by ${actor.id}`)
    return { ...s }
  }

  list(): InterventionView[] {
    return [...this.sessions.values()].map((s) => ({ ...s }))
  }

  private async end(s: Session, why: string): Promise<void> {
    if (s.state === 'ended') return
    s.state = 'ended'
    const gone = (p: Promise<unknown>) => p.catch(() => {})
    await gone(this.d.rest.hangup(s.supervisorChannelId))
    if (s.snoopChannelId) await gone(this.d.rest.hangup(s.snoopChannelId))
    if (s.mode !== 'barge') await gone(this.d.rest.destroyBridge(s.bridgeId))
    this.byChannel.delete(s.supervisorChannelId)
    if (s.snoopChannelId) this.byChannel.delete(s.snoopChannelId)
    this.sessions.delete(s.sessionId)
    this.d.logger.info({ sessionId: s.sessionId, why }, 'supervisor intervention ended')
    this.onSession({ ...s })
  }

  async close(): Promise<void> {
    for (const s of [...this.sessions.values()]) await this.end(s, 'server stopping')
  }
}
