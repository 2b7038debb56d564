/**
 * The ARI events this server acts on, as a discriminated union on `type`. Only the fields we
 * read are typed; Asterisk sends more. Names follow Asterisk's events.json.
 */
export interface AriChannel {
  id: string
  name: string
  state: string
  caller: { name: string; number: string }
  connected?: { name: string; number: string }
  dialplan?: { context: string; exten: string; priority: number }
  creationtime?: string
}

export interface AriBridge {
  id: string
  technology?: string
  bridge_type?: string
  channels: string[]
}

interface Base { application: string; timestamp: string }

export type AriEvent =
  | (Base & { type: 'StasisStart'; args: string[]; channel: AriChannel; replace_channel?: AriChannel })
  | (Base & { type: 'StasisEnd'; channel: AriChannel })
  | (Base & { type: 'ChannelDestroyed'; channel: AriChannel; cause: number; cause_txt: string })
  | (Base & { type: 'ChannelStateChange'; channel: AriChannel })
  | (Base & { type: 'ChannelHangupRequest'; channel: AriChannel; cause?: number; soft?: boolean })
  | (Base & { type: 'ChannelDtmfReceived'; channel: AriChannel; digit: string; duration_ms: number })
  | (Base & { type: 'ChannelEnteredBridge'; bridge: AriBridge; channel: AriChannel })
  | (Base & { type: 'ChannelLeftBridge'; bridge: AriBridge; channel: AriChannel })
  | (Base & { type: 'PlaybackStarted' | 'PlaybackFinished'; playback: { id: string; target_uri: string; state: string } })
  | (Base & { type: 'RecordingStarted' | 'RecordingFinished' | 'RecordingFailed'; recording: { name: string; state: string; duration?: number; cause?: string; target_uri: string } })
  | (Base & { type: 'Dial'; peer: AriChannel; caller?: AriChannel; dialstatus: string })

export type AriEventType = AriEvent['type']

export const HANDLED_EVENT_TYPES: readonly AriEventType[] = [
  'StasisStart', 'StasisEnd', 'ChannelDestroyed', 'ChannelStateChange', 'ChannelHangupRequest', 'ChannelDtmfReceived',
  'ChannelEnteredBridge', 'ChannelLeftBridge', 'PlaybackStarted', 'PlaybackFinished',
  'RecordingStarted', 'RecordingFinished', 'RecordingFailed', 'Dial'
]

/** Q.850 causes we tell apart when an offer to a seat fails. */
export const HANGUP_CAUSE = {
  normalClearing: 16,
  userBusy: 17,
  noUserResponse: 18,
  noAnswer: 19,
  subscriberAbsent: 20,
  callRejected: 21,
  unallocatedNumber: 1
} as const
