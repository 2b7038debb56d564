// @ts-check
// Number, duration and time formatting shared by the pages.

/** 65 000 ms → "01:05"; 3 725 000 → "1:02:05"; nothing or negative → "—". @param {number | null | undefined} ms */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—'
  const s = Math.floor(ms / 1000)
  const h = Math.floor(s / 3600)
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

/** 0.953 → "95.3%"; null → "—". @param {number | null | undefined} x */
export const percent = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`)

/** HTML-escapes text for template strings. @param {unknown} s */
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => /** @type {Record<string, string>} */ ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

/** Today's date (YYYY-MM-DD) in a time zone. @param {string} timeZone */
export const dayIn = (timeZone) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date())
