/** CSV for spreadsheet users: UTF-8 with a byte-order mark, because Excel otherwise reads Chinese as mojibake. */

const BOM = '\uFEFF'

/**
 * One cell. Text that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with
 * an apostrophe: names come from users and must not become formulas in a supervisor's Excel.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** A header row of `columns`, then one line per row; CRLF line ends as RFC 4180 and Excel expect. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map(csvCell).join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c])).join(','))]
  return BOM + lines.join('\r\n') + '\r\n'
}
