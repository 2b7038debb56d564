/**
 * The ids this server gives to what it creates on the PBX (channels, bridges, playbacks,
 * recordings) and the Stasis entries it puts on Stasis(hotline, <entry>, …). One place makes
 * them and one function per kind parses them back, so an ARI event finds its owner (and its
 * call) from the id alone: no capability filters the event stream with a regex of its own.
 *
 * Channels that Asterisk named itself (a citizen's inbound channel) carry no meaning in their
 * id: the router finds them through the call they were adopted by (see router.ts).
 */

/** Arguments our dialplan and originations put on Stasis(hotline, <entry>, …). */
export const STASIS_ENTRY = {
  inbound: 'inbound',
  agentLeg: 'agent-leg',
  /** The agent's seat dialled again after its leg dropped mid-call: agent-rejoin,<call id>. */
  agentRejoin: 'agent-rejoin',
  /** A transfer target (110, a unit) dialled by call control (src/calls/control.ts). */
  consult: 'consult',
  /** A supervisor's legs (snoop, seat): supervisor,<snoop|leg>,<session id>; see src/supervision/. */
  supervisor: 'supervisor',
  /** A follow-up call the dialer placed, answered: followup,<attempt id>; see src/followup/. */
  followUp: 'followup',
  /** A callback the dialer placed, answered: callback,<attempt id>; see src/callbacks/. */
  callback: 'callback'
} as const

export type StasisEntry = (typeof STASIS_ENTRY)[keyof typeof STASIS_ENTRY]

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

/** What a channel id says about its channel; null for ids Asterisk made. */
export type ChannelRef =
  /** The agent's seat rung for a call (offer n of the call). */
  | { kind: 'agent-leg'; callId: string }
  /** The agent's seat dialled back into its talking call (agent rejoin). */
  | { kind: 'rejoin'; callId: string }
  /** A transfer target dialled by the agent's call control. */
  | { kind: 'consult'; callId: string }
  /** A citizen dialled by the outbound dialer (follow-up visit or callback), per attempt. */
  | { kind: 'followup' | 'callback'; taskId: number; attemptNo: number }
  /** A supervisor's seat or the snoop on an agent's channel, per intervention session. */
  | { kind: 'supervisor' | 'snoop'; sessionId: string }

export const channelIds = {
  /** `n` is the call's offer count, so a re-offer after ring-no-answer gets a new channel. */
  agentLeg: (callId: string, n: number) => `seat-${callId}-${n}`,
  rejoin: (callId: string, at: number) => `rejoin-${callId}-${at.toString(36)}`,
  consult: (callId: string, at: number) => `consult-${callId}-${at.toString(36)}`,
  dialer: (kind: 'followup' | 'callback', taskId: number, attemptNo: number) => `${kind}-${taskId}-${attemptNo}`,
  supervisorSeat: (sessionId: string) => `supervisor-${sessionId}`,
  snoop: (sessionId: string) => `snoop-${sessionId}`
} as const

const CHANNEL_PATTERNS: [RegExp, (m: RegExpExecArray) => ChannelRef][] = [
  [new RegExp(`^seat-(${UUID})-\\d+$`), (m) => ({ kind: 'agent-leg', callId: m[1]! })],
  [new RegExp(`^rejoin-(${UUID})-[0-9a-z]+$`), (m) => ({ kind: 'rejoin', callId: m[1]! })],
  [new RegExp(`^consult-(${UUID})-[0-9a-z]+$`), (m) => ({ kind: 'consult', callId: m[1]! })],
  [/^(followup|callback)-(\d+)-(\d+)$/, (m) => ({ kind: m[1] as 'followup' | 'callback', taskId: Number(m[2]), attemptNo: Number(m[3]) })],
  [new RegExp(`^(supervisor|snoop)-(${UUID})$`), (m) => ({ kind: m[1] as 'supervisor' | 'snoop', sessionId: m[2]! })]
]

export function parseChannelId(channelId: string): ChannelRef | null {
  for (const [re, make] of CHANNEL_PATTERNS) {
    const m = re.exec(channelId)
    if (m) return make(m)
  }
  return null
}

export const bridgeIds = {
  /** One holding bridge per queue, with a fixed id so a restarted server finds it again. */
  queueHold: (queueId: string) => `queue-${queueId}-hold`,
  /** The caller–agent bridge of one call. */
  call: (callId: string) => `call-${callId}-mix`,
  /** The caller on hold (call control), apart from the call's mixing bridge and its recording. */
  callHold: (callId: string) => `call-${callId}-hold`,
  /** A supervisor's listen/whisper bridge (snoop + supervisor's seat). */
  supervision: (sessionId: string) => `supervise-${sessionId}`
} as const

export const recordingNames = {
  call: (callId: string): string => `call-${callId}`
} as const

/** What a playback id says: whose it is, so PlaybackFinished reaches the one who waits for it. */
export type PlaybackRef =
  | { kind: 'greeting'; callId: string }
  | { kind: 'announcement'; callId: string }
  | { kind: 'callback-offer'; callId: string }
  /** The callback confirmation on the caller's channel; the call has ended by then. */
  | { kind: 'callback-confirm'; channelId: string }
  /** A survey prompt on the dialer's channel. */
  | { kind: 'survey'; channelId: string }

export const playbackIds = {
  greeting: (callId: string) => `greet-${callId}`,
  announcement: (callId: string, at: number) => `announce-${callId}-${at}`,
  callbackOffer: (callId: string) => `cb-offer-${callId}`,
  callbackConfirm: (channelId: string) => `cb-confirm-${channelId}`,
  survey: (channelId: string, seq: number) => `${channelId}:p${seq}`
} as const

export function parsePlaybackId(playbackId: string): PlaybackRef | null {
  let m = /^greet-(.+)$/.exec(playbackId)
  if (m) return { kind: 'greeting', callId: m[1]! }
  m = new RegExp(`^announce-(${UUID})-\\d+$`).exec(playbackId)
  if (m) return { kind: 'announcement', callId: m[1]! }
  m = /^cb-offer-(.+)$/.exec(playbackId)
  if (m) return { kind: 'callback-offer', callId: m[1]! }
  m = /^cb-confirm-(.+)$/.exec(playbackId)
  if (m) return { kind: 'callback-confirm', channelId: m[1]! }
  m = /^(.+):p\d+$/.exec(playbackId)
  if (m) return { kind: 'survey', channelId: m[1]! }
  return null
}
