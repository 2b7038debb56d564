/**
 * The follow-up dialer: turns due tasks into calls and calls into evaluations.
 *
 * The passes that claim due tasks at each trunk's pace are in pacing.ts; this file is the
 * attempt's life cycle. Claiming writes the attempt row; only then is the call originated, with
 * the channel id derived from the attempt. Outcomes arrive as ARI events and decide the task:
 * done, due again after a back-off, or unreachable with the reason. An answered call hears the
 * survey (survey.ts), whose answers go to the ticket (evaluation.ts).
 *
 * Restarts: an attempt row still open when the server starts is looked up on the PBX. A live
 * channel is taken over (a ringing one finishes as usual; an answered one hears the survey
 * from the start). A channel that is gone means the outcome is unknown: the attempt is closed
 * as 'lost' and the task is due again as a new attempt. An attempt is never dialled twice.
 */
import type { Logger } from 'pino'
import type { Clock } from '../domain/clock.ts'
import { Lanes } from '../domain/lanes.ts'
import { AriError } from '../pbx/ari/errors.ts'
import type { AriChannel } from '../pbx/ari/events.ts'
import { STASIS_ENTRY } from '../pbx/ari/ids.ts'
import type { ChannelEvent } from '../pbx/ari/router.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { TicketService } from '../tickets/service.ts'
import { type Campaign, type ClaimedFollowUp, type SurveyAnswer } from './model.ts'
import { type AttemptOutcome } from '../dialer/model.ts'
import { campaignForLine, type SurveyAnswers } from './rules.ts'
import { afterAttempt, attemptStanding, dialEndpoint, unansweredOutcome } from '../dialer/rules.ts'
import type { FollowUpStore } from './store.ts'
import type { AttemptRow } from '../dialer/store.ts'
import { DIALER_ACTOR, recordEvaluation, surveyOpening } from './evaluation.ts'
import { FollowUpPacer } from './pacing.ts'
import { RECORDER_ARG, SurveyCall } from './survey.ts'
import type { NumberPlan } from '../number-plan/rules.ts'

export const FOLLOW_UP_ENTRY = STASIS_ENTRY.followUp

export interface DialerSettings {
  app: string
  timeZone: string
  /** ms between ticks; 0: no timer (tests tick by hand). */
  tickMs: number
  inputTimeoutMs: number
  /** Caller id presented to the citizen (the center's number). */
  callerId: string
  /** Kinds of numbers that may be dialled (HOTLINE_NUMBER_PLAN); others fail the attempt. */
  numberPlan: NumberPlan
}

export interface AgentHandoff {
  /** An answered follow-up in an agent campaign: queue the citizen for an agent. */
  followUpAnswered(channel: AriChannel, claimed: { taskId: number; attemptId: string; ticketId: string; phoneNumber: string; lineNumber: string | null; queueId: string }): Promise<void>
}

interface Live {
  attemptId: string
  taskId: number
  ticketId: string | null
  survey?: SurveyCall
  /** Keys pressed after the answer but before the survey was set up (a busy server): replayed. */
  early?: string[]
}

export class FollowUpDialer {
  /** Channels this process dialled or took over: recovery leaves them alone. */
  private readonly live = new Map<string, Live>()
  /** Channels of live attempts missing from the PBX's list at the last timed recovery. */
  private readonly missing = new Set<string>()
  private readonly lanes = new Lanes()
  private readonly pacer: FollowUpPacer
  handoff: AgentHandoff | null = null

  constructor(private readonly deps: { store: FollowUpStore; pacing?: FollowUpStore; rest: AriRest; tickets: TicketService; clock: Clock; log: Logger; settings: DialerSettings }) {
    this.pacer = new FollowUpPacer({
      store: deps.store, pacing: deps.pacing ?? deps.store, clock: deps.clock, log: deps.log, settings: deps.settings,
      dial: (c, campaign, template) => this.dial(c, campaign, template)
    })
  }

  /** Starts the passes (pacing.ts); again after a stop (a node that drives the calls again after standing by). */
  start(): void {
    this.pacer.start()
  }

  async stop(): Promise<void> {
    await this.pacer.stop()
    await this.lanes.idle()
  }

  /** One scheduling pass; returns how many calls it placed, once they are placed. Overlapping calls share one pass. */
  tick(): Promise<number> {
    return this.pacer.tick()
  }

  /** Forget the cached campaigns and trunks (they were changed). */
  invalidate(): void {
    this.pacer.invalidate()
  }

  private async dial(c: ClaimedFollowUp, campaign: Campaign, template: string): Promise<void> {
    const { rest, store, clock, log, settings } = this.deps
    this.live.set(c.channelId, { attemptId: c.attemptId, taskId: c.taskId, ticketId: c.ticketId })
    let endpoint: string
    try {
      endpoint = dialEndpoint(template, c.trunkId, c.phoneNumber, settings.numberPlan)
    } catch (err) {
      log.warn({ taskId: c.taskId, err: (err as Error).message }, 'follow-up number cannot be dialled')
      await this.finish(c.channelId, 'failed', null)
      return
    }
    try {
      await rest.originate({
        channelId: c.channelId, endpoint, app: settings.app, appArgs: `${FOLLOW_UP_ENTRY},${c.attemptId}`,
        callerId: settings.callerId, timeoutSeconds: campaign.ringSeconds,
        // The attempt travels with the INVITE, so the far end (and a trace) can tell attempts apart.
        variables: { 'PJSIP_HEADER(add,X-Hotline-Attempt)': c.channelId }
      })
      await store.markDialled(c.attemptId, clock.now())
      log.info({ taskId: c.taskId, attempt: c.attemptNo, ticket: c.ticketNumber, channelId: c.channelId }, 'follow-up call placed')
    } catch (err) {
      if (err instanceof AriError && err.status === 409) {
        // The same attempt is already on the PBX (placed before a restart): never dial it twice.
        log.warn({ channelId: c.channelId }, 'follow-up attempt already has a channel; not dialled again')
        return
      }
      log.warn({ taskId: c.taskId, err: (err as Error).message }, 'follow-up originate failed')
      await this.finish(c.channelId, 'failed', null)
    }
  }

  /** Events of the dialer's own channels (the router hands over only those: ids.ts). */
  onChannelEvent(event: ChannelEvent): Promise<void> {
    switch (event.type) {
      case 'ChannelDtmfReceived': {
        const live = this.live.get(event.channel.id)
        // onKey queues itself in the channel's lane (a lane must not wait on itself).
        if (live?.survey) return live.survey.onKey(event.digit)
        // Answered, survey not started yet (its StasisStart still in hand): the key is kept.
        if (live) (live.early ??= []).push(event.digit)
        return Promise.resolve()
      }
      case 'StasisEnd':
      case 'ChannelDestroyed': {
        const cause = event.type === 'ChannelDestroyed' ? event.cause : null
        return this.lanes.run(event.channel.id, () => this.onGone(event.channel.id, cause))
      }
    }
  }

  /** A survey prompt on one of the dialer's channels finished. */
  onSurveyPlayback(channelId: string, playbackId: string): Promise<void> {
    const live = this.live.get(channelId)
    if (!live?.survey) return Promise.resolve()
    return this.lanes.run(channelId, () => live.survey!.onPlaybackFinished(playbackId))
  }

  private async onGone(channelId: string, cause: number | null): Promise<void> {
    const live = this.live.get(channelId)
    if (live?.survey) { await live.survey.end(); return }
    // StasisEnd never comes for a channel that did not answer; ChannelDestroyed does.
    if (cause === null) return
    const attempt = await this.deps.store.attemptByChannel(channelId)
    if (!attempt || attempt.state === 'finished') { this.live.delete(channelId); return }
    if (attempt.state === 'answered') {
      // An agent-assisted call (handed to the queue): evaluated in the panel by now, or not.
      const task = await this.deps.store.task(attempt.taskId)
      await this.finish(channelId, task?.status === 'done' ? 'evaluated' : 'hung-up', cause)
      return
    }
    await this.finish(channelId, unansweredOutcome(cause), cause)
  }

  /** StasisStart of an answered follow-up call (registered as a Stasis entry with the call flow). */
  onAnswered(channel: AriChannel, args: string[]): Promise<void> {
    if (args[0] === RECORDER_ARG) {
      // The survey's recorder (a snoop on the citizen's channel): in the citizen's lane.
      const parent = args[1] ?? ''
      return this.lanes.run(parent, async () => {
        const survey = this.live.get(parent)?.survey
        if (survey && survey.recorderId === channel.id) await survey.recorderReady()
        else await this.deps.rest.hangup(channel.id).catch(() => undefined)
      })
    }
    return this.lanes.run(channel.id, async () => {
      const { store, clock, rest, log } = this.deps
      const attempt = args[0] ? await store.attempt(args[0]) : null
      if (!attempt || attempt.state === 'finished' || attempt.channelId !== channel.id) {
        log.warn({ channelId: channel.id, args }, 'answered follow-up call has no open attempt; hanging up')
        await rest.hangup(channel.id).catch(() => undefined)
        return
      }
      await this.takeOver(attempt, channel, clock.now())
    })
  }

  private async takeOver(attempt: AttemptRow, channel: AriChannel, now: number): Promise<void> {
    const { store, rest, log, settings } = this.deps
    const task = await store.task(attempt.taskId)
    const ticket = task ? await this.deps.tickets.get(task.ticketId, DIALER_ACTOR).catch(() => null) : null
    if (!task || !ticket) {
      await rest.hangup(channel.id).catch(() => undefined)
      await this.finish(channel.id, 'ticket-changed', null)
      return
    }
    const campaign = campaignForLine(await store.campaigns(), attempt.lineNumber)
    const recordingName = attempt.channelId
    await store.markAnswered(attempt.id, now, recordingName)
    log.info({ taskId: attempt.taskId, attempt: attempt.attemptNo, channelId: channel.id, mode: campaign?.mode }, 'follow-up call answered')
    if (campaign?.mode === 'agent' && campaign.agentQueueId && this.handoff) {
      this.live.delete(channel.id)
      await this.handoff.followUpAnswered(channel, { taskId: attempt.taskId, attemptId: attempt.id, ticketId: ticket.id, phoneNumber: attempt.phoneNumber, lineNumber: attempt.lineNumber, queueId: campaign.agentQueueId })
      return
    }
    let evaluated: { outcome: AttemptOutcome; answers: SurveyAnswers; digits: string } | null = null
    const survey = new SurveyCall({ rest, log: log.child({ channelId: channel.id }) }, channel.id, recordingName,
      { inputTimeoutMs: settings.inputTimeoutMs, opening: surveyOpening(ticket.categoryCode), app: settings.app },
      async (answers, digits) => { evaluated = { outcome: await recordEvaluation(this.deps, attempt, ticket.id, answers, digits, recordingName), answers, digits } },
      async (end) => {
        this.live.delete(channel.id)
        // The attempt holds its trunk channel until the citizen is gone (the confirmation too).
        if (evaluated) await this.finishAttempt(attempt, evaluated.outcome, null, { result: evaluated.answers.result, digits: evaluated.digits })
        else await this.finishAttempt(attempt, end.kind === 'no-input' ? 'no-input' : 'hung-up', null, { digits: end.digits || null })
      })
    survey.run = (work) => this.lanes.run(channel.id, work)
    const early = this.live.get(channel.id)?.early ?? []
    this.live.set(channel.id, { attemptId: attempt.id, taskId: attempt.taskId, ticketId: ticket.id, survey })
    try {
      await survey.start()
    } catch (err) {
      log.warn({ err: (err as Error).message, channelId: channel.id }, 'survey could not start')
      await survey.end()
      return
    }
    // Keys pressed while the survey was being set up count as pressed during its opening (after this lane's turn).
    for (const digit of early) void survey.onKey(digit)
  }

  private async finish(channelId: string, outcome: AttemptOutcome, cause: number | null): Promise<void> {
    const attempt = await this.deps.store.attemptByChannel(channelId)
    this.live.delete(channelId)
    if (!attempt) return
    await this.finishAttempt(attempt, outcome, cause, {})
  }

  private async finishAttempt(attempt: AttemptRow, outcome: AttemptOutcome, cause: number | null, extra: { result?: SurveyAnswer; digits?: string | null }): Promise<void> {
    const { store, clock, log, settings } = this.deps
    const now = clock.now()
    const task = await store.task(attempt.taskId)
    const campaign = campaignForLine(await store.campaigns(), attempt.lineNumber)
    if (!task || !campaign) return
    const decision = afterAttempt({ outcome, tries: task.tries, now, policy: campaign, timeZone: settings.timeZone })
    const applied = await store.finishFollowUp({ attemptId: attempt.id, taskId: attempt.taskId, outcome, cause, result: extra.result ?? null, digits: extra.digits ?? null, at: now }, decision)
    if (applied) log.info({ taskId: attempt.taskId, attempt: attempt.attemptNo, outcome, cause, decision: decision.kind, dueAt: decision.kind === 'retry' ? new Date(decision.dueAt).toISOString() : undefined }, 'follow-up attempt finished')
  }

  /** An agent-assisted follow-up call ended: evaluated in the panel (the task is done), or not. */
  agentCallEnded(attemptId: string): Promise<void> {
    return this.lanes.run(`agent-${attemptId}`, async () => {
      const attempt = await this.deps.store.attempt(attemptId)
      if (!attempt || attempt.state === 'finished') return
      const task = await this.deps.store.task(attempt.taskId)
      await this.finishAttempt(attempt, task?.status === 'done' ? 'evaluated' : 'hung-up', null, {})
    })
  }

  /**
   * After a (re)start, after every ARI reconnect and on a timer: open attempts are checked
   * against the PBX (see the file comment). Attempts this process is handling whose channel is
   * gone lost their end in an event gap (a reconnect): they are closed as if the end had come,
   * so the trunk's capacity and the task are not held for ever.
   */
  async recover(opts: { confirmGone?: boolean } = {}): Promise<{ adopted: number; lost: number; vanished: number }> {
    const { store, rest, clock, log } = this.deps
    const listedAt = clock.now()
    const channels = new Map((await rest.listChannels()).map((c) => [c.id, c]))
    let adopted = 0
    let lost = 0
    let vanished = 0
    const open = await store.openAttempts()
    for (const a of open) {
      if (a.kind !== 'follow-up') continue
      // Dialled while the list was on its way: the list cannot show it yet (current).
      const standing = attemptStanding(a, channels, this.live.has(a.channelId), listedAt)
      if (standing === 'current') {
        if (a.dialledAt === null || channels.has(a.channelId)) this.missing.delete(a.channelId)
        continue
      }
      if (standing === 'vanished') {
        // On the timer (no reconnect, so no known gap), a channel just ended may have its end
        // still on the way: one missing from two lists in a row has vanished.
        if (opts.confirmGone && !this.missing.has(a.channelId)) { this.missing.add(a.channelId); continue }
        this.missing.delete(a.channelId)
        await this.lanes.run(a.channelId, async () => {
          const live = this.live.get(a.channelId)
          if (!live) return // its end was handled meanwhile
          vanished += 1
          log.warn({ taskId: a.taskId, attempt: a.attemptNo, channelId: a.channelId }, 'follow-up channel vanished without an event; closing the attempt')
          if (live.survey) { await live.survey.end(); return }
          const attempt = await store.attempt(a.id)
          this.live.delete(a.channelId)
          if (attempt && attempt.state !== 'finished') await this.finishAttempt(attempt, 'lost', null, {})
        })
        continue
      }
      await this.lanes.run(a.channelId, async () => {
        const attempt = await store.attempt(a.id)
        if (!attempt || attempt.state === 'finished') return
        const channel = channels.get(a.channelId)
        if (!channel) {
          lost += 1
          log.warn({ taskId: a.taskId, attempt: a.attemptNo, channelId: a.channelId }, 'follow-up attempt lost with a restart; the task is due again')
          // Evaluated before the crash (the ticket says so): done; else the outcome is unknown.
          const task = await store.task(attempt.taskId)
          await this.finishAttempt(attempt, task?.status === 'done' ? 'evaluated' : 'lost', null, attempt.result ? { result: attempt.result, digits: attempt.digits } : {})
          return
        }
        adopted += 1
        this.live.set(a.channelId, { attemptId: a.id, taskId: a.taskId, ticketId: null })
        if (channel.state === 'Up') await this.takeOver(attempt, channel, clock.now())
      })
    }
    const stillOpen = new Set(open.map((a) => a.channelId))
    for (const id of this.missing) if (!stillOpen.has(id)) this.missing.delete(id)
    if (adopted + lost + vanished > 0) log.info({ adopted, lost, vanished }, 'follow-up attempts recovered')
    return { adopted, lost, vanished }
  }

  /** Attempts this process is handling (for tests and the metrics). */
  get activeChannels(): number {
    return this.live.size
  }
}
