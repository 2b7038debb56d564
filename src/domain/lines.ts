/**
 * Lines (热线号码): every dialled number. 12345 itself is the main line; departmental numbers
 * merged into it are `merged` (整体并入: they ring the 12345 pool), `dual-number` (双号并行:
 * the department's reserved seats 保留座席 answer first, the 12345 pool backs them up), or
 * `sub-center` (设分中心: a branch center with its own agents on this platform).
 */
export type LineKind = 'main' | 'merged' | 'dual-number' | 'sub-center'

export const LINE_KINDS: readonly LineKind[] = ['main', 'merged', 'dual-number', 'sub-center']

/** Opening hours in the center's time zone; days are ISO weekdays, 1 = Monday … 7 = Sunday. */
export interface OpeningHours {
  days: number[]
  /** 'HH:MM', inclusive. */
  open: string
  /** 'HH:MM', exclusive; may be '24:00'. */
  close: string
}

export interface LineConfig {
  number: string
  name: string
  kind: LineKind
  /** The queue this line's callers wait in first (for a dual-number line: its reserved seats). */
  queueId: string
  greeting: string | null
  /** Served before callers of priority 0 (e.g. an elderly-priority line 老年人优先). */
  priority: number
  /** When the line's own seats work; null = around the clock. */
  hours: OpeningHours[] | null
  /** Whole days the line's own seats are closed (holidays), 'YYYY-MM-DD'. */
  closedDates: string[]
  /** Where callers go when the line's own seats cannot take them (usually the 12345 pool). */
  overflowQueueId: string | null
  /** A dual-number line overflows a caller who waited this long for a reserved seat. */
  overflowAfterSeconds: number | null
}

export type ArrivalRoute =
  | { queueId: string; reason: 'line-queue' }
  | { queueId: string; reason: 'out-of-hours' | 'no-reserved-seat' }
