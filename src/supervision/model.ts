/**
 * What the supervisors' wallboard (大屏 / 班长席) shows and what they can do from it. Shared by the
 * server and the page (public/wallboard/), which reads these shapes as JSON.
 */
import type { Ack } from '../realtime/contract.ts'
import type { CallKpis } from '../statistics/rules.ts'

/** One line or queue for today: the report's KPIs plus what is happening right now. */
export type WallboardRow = CallKpis & {
  key: string
  name: string | null
  /** For a line: the queue its callers wait in first (a dual-number line's reserved seats). */
  queueId?: string
  kind?: string
  /** Since when the longest-waiting caller of this row waits (epoch ms); the page ticks it. */
  oldestWaitingSince: number | null
  /** Queues only: signed-in agents serving it, and how many of them are ready. */
  agentsSignedIn?: number
  agentsReady?: number
  /** Queues only: the longest-waiting callers, oldest first (at most 10), in time order of entry. */
  waitingCalls?: { callId: string; lineNumber: string | null; since: number }[]
}

export interface WallboardAgentCall {
  callId: string
  /** Masked per HOTLINE_WALLBOARD_MASK_CALLER (138****0000). */
  caller: string
  lineNumber: string | null
  lineName: string | null
  queueId: string | null
  phase: string
  /** Since when the agent has this call (answered, or offered while ringing), epoch ms. */
  since: number
}

export interface WallboardAgent {
  agentId: string
  name: string | null
  state: string
  reason: string | null
  /** When the current state began (epoch ms): the page shows time in state. Null: a sign-out this server did not see. */
  since: number | null
  seat: string | null
  call: WallboardAgentCall | null
  /** Calls this agent answered today, from the queue log (the daily report's `answered`). */
  answeredToday: number
}

/** One point per interval of the day: callers waiting at its end, and the interval's service level. */
export interface WallboardPoint {
  at: number
  waiting: number
  offered: number
  serviceLevel15: number | null
}

export interface WallboardSnapshot {
  day: string
  timeZone: string
  thresholds: { shortAbandonSeconds: number; serviceLevelSeconds: number }
  seq: number
  generatedAt: number
  lines: WallboardRow[]
  queues: WallboardRow[]
  agents: WallboardAgent[]
  chart: { intervalMinutes: number; points: WallboardPoint[] }
}

/** The changed parts since the previous update; `changedAt` is the first change it carries. */
export interface WallboardUpdate {
  day: string
  seq: number
  generatedAt: number
  changedAt: number
  lines?: WallboardRow[]
  queues?: WallboardRow[]
  agents?: WallboardAgent[]
  removedAgents?: string[]
  /** Chart points from index `from` on replace the page's (the earlier ones did not change). */
  chart?: { intervalMinutes: number; from: number; points: WallboardPoint[] }
}

export type InterventionMode = 'listen' | 'whisper' | 'barge'
export const INTERVENTION_MODES: readonly InterventionMode[] = ['listen', 'whisper', 'barge']

export type SupervisorActionName = InterventionMode | 'force-not-ready' | 'force-sign-out' | 'move-call' | 'call-to-head'

export interface InterventionView {
  sessionId: string
  mode: InterventionMode
  callId: string
  agentId: string | null
  seat: string
  supervisorId: string
  /** ringing: the supervisor's seat rings; connected: they hear (and for whisper/barge, speak). */
  state: 'ringing' | 'connected' | 'ended'
  bridgeId: string
  snoopChannelId: string | null
  supervisorChannelId: string
  startedAt: string
}

export interface SupervisorWallboardServerToClient {
  'wallboard:update': (update: WallboardUpdate) => void
  /** Sent unasked when the day rolls over: everything starts again from zero. */
  'wallboard:snapshot': (snapshot: WallboardSnapshot) => void
  'intervention:changed': (session: InterventionView) => void
}

export interface SupervisorWallboardClientToServer {
  'wallboard:snapshot': (ack: (res: Ack<WallboardSnapshot>) => void) => void
  'supervisor:force-not-ready': (body: { agentId: string; reason: string }, ack: (res: Ack<unknown>) => void) => void
  'supervisor:force-sign-out': (body: { agentId: string }, ack: (res: Ack<unknown>) => void) => void
  'supervisor:intervene': (body: { callId: string; mode: InterventionMode; seat: string }, ack: (res: Ack<InterventionView>) => void) => void
  'supervisor:end-intervention': (body: { sessionId: string }, ack: (res: Ack<InterventionView>) => void) => void
  'supervisor:move-call': (body: { queueId: string; callId: string; toQueueId: string }, ack: (res: Ack<unknown>) => void) => void
  'supervisor:call-to-head': (body: { queueId: string; callId: string }, ack: (res: Ack<unknown>) => void) => void
}

/**
 * A caller's number as the wallboard shows it (个人信息去标识化): every hidden digit becomes one
 * star, and no more than half of a citizen's digits ever show.
 *   mobile (11 digits, 1[3-9]…)           13800138000 → 138****8000   (the usual practice)
 *   landline with its area code (0…, ≥10)  02165123456 → 021******56  (area code and the last 2)
 *   local landline and others (7–9 digits) 65123456    → ******56     (the last 2)
 *   short service numbers (≤ 6)            110         → 1*0          (first and last)
 * A leading + or 86/0086 country prefix is kept as it is; anything that is not a number
 * ("anonymous") keeps its first 3 and last 4 characters, as before.
 */
export function maskCaller(number: string, mask: boolean): string {
  if (!mask) return number
  const m = /^(\+86|0086|86(?=1[3-9]\d{9}$)|\+)?(\d+)$/.exec(number)
  if (!m) return number.length >= 7 ? `${number.slice(0, 3)}****${number.slice(-4)}` : hideMiddle(number, 1, 1)
  const prefix = m[1] ?? ''
  const digits = m[2]!
  return prefix + maskDigits(digits)
}

function maskDigits(d: string): string {
  if (d.length <= 2) return '*'.repeat(d.length)
  if (d.length <= 6) return hideMiddle(d, 1, 1)
  if (/^1[3-9]\d{9}$/.test(d)) return hideMiddle(d, 3, 4)
  if (d.startsWith('0') && d.length >= 10) return hideMiddle(d, /^0[12]/.test(d) ? 3 : 4, 2)
  return hideMiddle(d, 0, 2)
}

function hideMiddle(s: string, head: number, tail: number): string {
  if (s.length <= 2) return '*'.repeat(s.length)
  return s.slice(0, head) + '*'.repeat(s.length - head - tail) + s.slice(s.length - tail)
}
