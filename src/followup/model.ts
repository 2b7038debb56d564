/**
 * The outbound dialer: follow-up visits (回访) of closed tickets and callbacks (回拨) of callers
 * who could not wait. A task is what must be achieved (reach this citizen about that ticket);
 * an attempt is one call placed for it. Times are epoch milliseconds.
 */
import type { CallingWindow } from '../dialer/model.ts'
import type { EvaluationResult } from '../tickets/model.ts'

/** A calling window in the center's zone, "HH:MM" to "HH:MM" (end exclusive; "24:00" allowed). */

export type CampaignMode = 'survey' | 'agent'
export type CampaignState = 'running' | 'paused'

export interface Campaign {
  id: string
  name: string
  /** null for 'default', which covers every line without a campaign of its own. */
  lineNumber: string | null
  mode: CampaignMode
  state: CampaignState
  trunkId: string
  windows: CallingWindow[]
  maxAttempts: number
  retryMinutes: number[]
  ringSeconds: number
  agentQueueId: string | null
}

export type TaskStatus = 'due' | 'in-progress' | 'done' | 'unreachable' | 'cancelled'

/** What the scheduler claimed: a follow-up task with what the call needs to know. */
export interface ClaimedFollowUp {
  taskId: number
  attemptId: string
  attemptNo: number
  channelId: string
  ticketId: string
  ticketNumber: string
  categoryCode: string
  phoneNumber: string
  lineNumber: string | null
  campaignId: string
  trunkId: string
  dueAt: number
}

export type SurveyAnswer = EvaluationResult

/** Today's figures of a campaign (or all), as the supervisors' page shows them. */
export interface DialerProgress {
  campaignId: string
  due: number
  inProgress: number
  dialled: number
  answered: number
  satisfied: number
  basicallySatisfied: number
  unsatisfied: number
  unreachable: number
  done: number
}
