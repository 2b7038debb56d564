/**
 * The automated survey on an answered follow-up call, over ARI. Prompts play on the citizen's
 * channel itself; the whole call (prompts and the citizen) is recorded by a snoop on that
 * channel (spy both directions) that records itself once it is in Stasis. Keys come as
 * ChannelDtmfReceived. A key may be pressed while a prompt plays (the prompt stops). Three
 * questions are asked in turn (process, result, solved: followUpSurveyStep in rules.ts), each
 * with its own prompt.
 *
 * Why a snoop and no bridge: a mixing bridge with a bridge recording and bridge playbacks costs
 * Asterisk a softmix thread per call, a Recorder channel pair for the recording and an Announcer
 * channel pair for every prompt (about five channels and a hundred Stasis messages per survey);
 * the snoop is one audiohook and one channel, and the prompts none (bench:dialer).
 *
 * The answers are stored before the confirmation plays: the key presses are the fact, and a
 * citizen who hangs up during "thank you" has still answered. A citizen who answers only some of
 * the questions has not evaluated (the keys are kept on the attempt).
 */
import type { Logger } from 'pino'
import { AriNotFound } from '../pbx/ari/errors.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import { STASIS_ENTRY } from '../pbx/ari/ids.ts'
import { reopenReason } from '../tickets/rules.ts'
import { followUpSurveyStep, startFollowUpSurvey, type FollowUpSurveyAction, type FollowUpSurveyState, type SurveyAnswers, type SurveyQuestion } from './rules.ts'

export type SurveyEnd =
  | { kind: 'answered'; answers: SurveyAnswers; digits: string }
  | { kind: 'no-input'; digits: string }
  | { kind: 'hung-up'; digits: string }

export interface SurveySettings {
  /** Seconds of silence after the question before it counts as no input. */
  inputTimeoutMs: number
  /** Sound names (Asterisk media URIs) of the opening: center, then the matter. */
  opening: string[]
  /** The Stasis app the recorder (snoop) channel enters. */
  app: string
}

/** Stasis args of the survey's recorder: followup,recorder,<citizen channel id>. */
export const RECORDER_ARG = 'recorder'

const sound = (name: string) => `sound:hotline/${name}`
const question = (q: SurveyQuestion) => sound(`survey-question-${q}`)

export class SurveyCall {
  private state: FollowUpSurveyState = startFollowUpSurvey()
  private playing: string | null = null
  private seq = 0
  private silenceTimer: NodeJS.Timeout | undefined
  private hangupTimer: NodeJS.Timeout | undefined
  private ended = false
  private answeredHandled: Promise<void> | null = null
  /** The snoop channel that records the call (spy both directions). */
  readonly recorderId: string
  private recorderUp = false

  constructor(
    private readonly deps: { rest: AriRest; log: Logger },
    readonly channelId: string,
    readonly recordingName: string,
    private readonly settings: SurveySettings,
    /** Called once with the three answers, before the confirmation plays. */
    private readonly onAnswer: (answers: SurveyAnswers, digits: string) => Promise<void>,
    /** Called once when the survey is over (the channel is gone or hung up by us). */
    private readonly onEnd: (end: SurveyEnd) => Promise<void>
  ) {
    this.recorderId = `${channelId}-rec`
  }

  async start(): Promise<void> {
    const { rest } = this.deps
    try {
      await rest.snoop(this.channelId, {
        snoopId: this.recorderId, app: this.settings.app, appArgs: [STASIS_ENTRY.followUp, RECORDER_ARG, this.channelId].join(','), spy: 'both', whisper: 'none'
      })
    } catch (err) {
      // The evaluation is worth more than its recording: go on, and say so.
      this.deps.log.error({ err: (err as Error).message, channelId: this.channelId }, 'survey recording did not start')
    }
    await this.play([...this.settings.opening, question('process')])
  }

  /** The recorder (snoop) channel is in Stasis: it records the call until it is hung up. */
  async recorderReady(): Promise<void> {
    const { rest, log } = this.deps
    if (this.ended) { await rest.hangup(this.recorderId).catch(() => undefined); return }
    this.recorderUp = true
    await rest.recordChannel(this.recorderId, this.recordingName, 'wav').catch((err: Error) => {
      log.error({ err: err.message, channelId: this.channelId }, 'survey recording did not start')
    })
  }

  private async play(names: string[]): Promise<void> {
    clearTimeout(this.silenceTimer)
    this.seq += 1
    const id = `${this.channelId}:p${this.seq}`
    this.playing = id
    try {
      await this.deps.rest.play(this.channelId, names.join(','), id)
    } catch (err) {
      if (err instanceof AriNotFound) return
      throw err
    }
  }

  private async stopPlaying(): Promise<void> {
    const id = this.playing
    this.playing = null
    if (id) await this.deps.rest.stopPlayback(id).catch(() => undefined)
  }

  /** PlaybackFinished of one of our playbacks. */
  async onPlaybackFinished(playbackId: string): Promise<void> {
    if (this.ended || playbackId !== this.playing) return
    this.playing = null
    if (this.state.finished) {
      // The confirmation or the goodbye has been said: hang up.
      await this.hangup()
      return
    }
    this.silenceTimer = setTimeout(() => { void this.input({ type: 'silence' }) }, this.settings.inputTimeoutMs)
    this.silenceTimer.unref()
  }

  onKey(digit: string): Promise<void> {
    return this.input({ type: 'key', digit })
  }

  /** Silence timers fire outside the caller's lane; the dialer serialises through `run`. */
  run: (work: () => Promise<void>) => Promise<void> = (work) => work()

  private input(input: { type: 'key'; digit: string } | { type: 'silence' }): Promise<void> {
    return this.run(async () => {
      if (this.ended) return
      const { state, action } = followUpSurveyStep(this.state, input)
      this.state = state
      await this.act(action)
    })
  }

  private async act(action: FollowUpSurveyAction): Promise<void> {
    switch (action.type) {
      case 'ignore':
        return
      case 'ask':
        await this.stopPlaying()
        await this.play(action.reason === 'invalid' ? [sound('survey-invalid'), question(action.question)] : [question(action.question)])
        return
      case 'answered': {
        await this.stopPlaying()
        this.answeredHandled = this.onAnswer(action.answers, this.state.digits)
        await this.answeredHandled
        // The ticket's own rule says whether these answers send it back (退回重办); the citizen hears which.
        const reopens = reopenReason({ evaluationResult: action.answers.result, evaluationProcess: action.answers.process, evaluationSolved: action.answers.solved }) !== null
        await this.play([sound(reopens ? 'survey-confirm-reopen' : 'survey-thanks')])
        this.armHangupGuard()
        return
      }
      case 'give-up':
        await this.stopPlaying()
        await this.play([sound('survey-no-input')])
        this.armHangupGuard()
        return
    }
  }

  /** A prompt that never reports its end must not hold the line. */
  private armHangupGuard(): void {
    clearTimeout(this.hangupTimer)
    this.hangupTimer = setTimeout(() => { void this.run(() => this.hangup()) }, 15_000)
    this.hangupTimer.unref()
  }

  private async hangup(): Promise<void> {
    await this.deps.rest.hangup(this.channelId).catch(() => undefined)
    await this.end()
  }

  /** The citizen's channel is gone (hung up by them or by us). */
  async end(): Promise<void> {
    if (this.ended) return
    this.ended = true
    clearTimeout(this.silenceTimer)
    clearTimeout(this.hangupTimer)
    // Hanging up the recorder ends its recording and finalises the file (it also goes by itself
    // with the citizen's channel; one that has not reached Stasis yet is hung up when it does).
    if (this.recorderUp) await this.deps.rest.hangup(this.recorderId).catch(() => undefined)
    const s = this.state
    const end: SurveyEnd = s.complete ? { kind: 'answered', answers: s.answers as SurveyAnswers, digits: s.digits }
      : s.finished ? { kind: 'no-input', digits: s.digits } : { kind: 'hung-up', digits: s.digits }
    await this.onEnd(end)
  }
}
