/**
 * The center's calendar and wall clock. Every "which day is it", "what time is it at the
 * center" and "when does this local day start" goes through here, in the center's IANA zone
 * (HOTLINE_TIMEZONE), never in UTC or the server's own zone.
 *
 * Built on Intl (no dependency): the few operations the hotline needs are a wall-clock reading
 * and its inverse, and Intl's zone data is the one Node ships anyway.
 */

/** A wall-clock reading in a zone. `weekday` is ISO (1 = Monday … 7 = Sunday). */
export interface LocalParts { year: number; month: number; day: number; weekday: number; minutes: number; seconds: number }

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
const DAY_MS = 86_400_000

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short'
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** What a clock on the center's wall shows at `now`. */
export function localParts(now: number, timeZone: string): LocalParts {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(now)).map((p) => [p.type, p.value]))
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), weekday: WEEKDAYS.indexOf(parts.weekday!) + 1,
    minutes: Number(parts.hour) * 60 + Number(parts.minute), seconds: Number(parts.second)
  }
}

const pad = (n: number) => String(n).padStart(2, '0')

/** The center's calendar day at `now`, as YYYY-MM-DD. */
export function localDay(now: number, timeZone: string): string {
  const p = localParts(now, timeZone)
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`
}

/** The instant a wall-clock time in `timeZone` names (the zone's offset at that instant). Days past the month's end roll over. */
export function zonedInstant(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day, 0, minutes)
  const seen = localParts(guess, timeZone)
  const seenUtc = Date.UTC(seen.year, seen.month - 1, seen.day, 0, seen.minutes)
  return guess - (seenUtc - guess)
}

/** The instant local day `day` (YYYY-MM-DD) starts at the center, or the day `plusDays` after it. */
export function dayStart(day: string, timeZone: string, plusDays = 0): number {
  const [y, m, d] = day.split('-').map(Number)
  return zonedInstant(y!, m!, d! + plusDays, 0, timeZone)
}

/** [start, end) of local day `day` at the center. */
export function dayRange(day: string, timeZone: string): [number, number] {
  return [dayStart(day, timeZone), dayStart(day, timeZone, 1)]
}

/** Calendar arithmetic on YYYY-MM-DD (no zone involved). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}

/** How many calendar days `from` … `to` spans, both counted. */
export function daysBetweenInclusive(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1
}
