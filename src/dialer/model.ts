/**
 * The dialer kernel's model: what follow-up visits (回访) and callbacks (回拨) share when they
 * call a citizen out. An attempt is one outbound call for one task (a row of dial_attempts, kind
 * 'follow-up' or 'callback'); a trunk is where the calls go out, with its capacity and pace.
 */

/** A daily calling window in the center's zone, HH:MM to HH:MM (24:00 is the day's end). */
export interface CallingWindow { from: string; to: string }

export interface Trunk {
  id: string
  maxConcurrent: number
  callsPerSecond: number
  dialTemplate: string
}

/** When a failed attempt is tried again, and how often at most (a campaign's, or the callback settings). */
export interface RetryPolicy {
  maxAttempts: number
  retryMinutes: readonly number[]
  windows: readonly CallingWindow[]
}

export type AttemptKind = 'follow-up' | 'callback'

/**
 * How an attempt ended. busy / no-answer / failed never reached the citizen; no-input means they
 * answered but gave no valid answer; lost means the server died and cannot know (the attempt
 * is not counted, the task is due again at once).
 */
export type AttemptOutcome =
  | 'busy' | 'no-answer' | 'failed' | 'no-input' | 'hung-up' | 'lost'
  | 'evaluated' | 'connected' | 'cancelled' | 'ticket-changed'

export const RETRYABLE_OUTCOMES: readonly AttemptOutcome[] = ['busy', 'no-answer', 'failed', 'no-input', 'hung-up', 'lost']

/** An attempt not finished yet: ringing (dialling) or talking (answered). */
export interface OpenAttempt {
  id: string
  kind: AttemptKind
  taskId: number
  attemptNo: number
  channelId: string
  state: 'dialling' | 'answered'
  agentId: string | null
  createdAt: number
  /** Set once the call was placed (originated); an attempt not yet placed has no channel to look for. */
  dialledAt: number | null
}

/** The channel id an attempt's call gets: its kind, task and attempt number, so any node can tell whose it is. */
export const channelIdFor = (kind: 'followup' | 'callback', taskId: number, attemptNo: number): string => `${kind}-${taskId}-${attemptNo}`

/** The reverse of channelIdFor; null for channels that are not the dialer's. */
export function parseDialerChannel(channelId: string): { kind: 'followup' | 'callback'; taskId: number; attemptNo: number } | null {
  const m = /^(followup|callback)-(\d+)-(\d+)$/.exec(channelId)
  return m ? { kind: m[1] as 'followup' | 'callback', taskId: Number(m[2]), attemptNo: Number(m[3]) } : null
}
