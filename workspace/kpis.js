// The ticket KPI report page: the same JSON the API gives, drawn as a table (rates as percentages
// with the exact fraction in data-value), the definitions printed under it, CSV downloads.
import { $, api, fetchWithSession, login, pct, el } from './common.js'

const NAMES = {
  dimension: '维度', key: '对象', accepted: '受理', resolvedOnCall: '即办', dispatched: '派单', signedForInTime: '及时签收', closed: '办结', closedOnTime: '按时办结',
  overdue: '逾期', returned: '退单', redispatches: '改派', repeats: '复重', followedUp: '已回访', followUpPending: '待回访', unreachable: '无法联系',
  processEvaluated: '过程评价数', processSatisfied: '过程满意', resultEvaluated: '结果评价数', resultSatisfied: '结果满意', solvedAnswered: '解决回答数', solvedYes: '已解决',
  resolvedOnCallRate: '即办率', signForTimelyRate: '签收及时率', onTimeRate: '按时办结率', overdueRate: '逾期率', returnRate: '退单率', repeatRate: '复重率',
  followUpRate: '回访率', processSatisfactionRate: '过程满意率', resultSatisfactionRate: '结果满意率', solvedRate: '解决率', score: '综合评价', rank: '排名'
}
const DIMS = { center: '中心', unit: '单位', category: '分类', line: '线路' }

async function download(url, name) {
  const res = await fetchWithSession(url)
  const blob = await res.blob()
  const a = el('a', { href: URL.createObjectURL(blob), download: name })
  a.click()
}

async function load(kind, value) {
  $('status').textContent = '加载中…'
  const report = await api(`/v1/ticket-kpis?${kind}=${encodeURIComponent(value)}`)
  const head = $('report').querySelector('thead')
  const body = $('report').querySelector('tbody')
  head.replaceChildren(el('tr', {}, report.columns.map((c) => el('th', { class: c === 'key' || c === 'dimension' ? 'k' : null, 'data-col': c }, NAMES[c] ?? c))))
  body.replaceChildren(...report.rows.map((r) => el('tr', { 'data-dimension': r.dimension, 'data-key': r.key }, report.columns.map((c) => {
    const v = r[c]
    const isRate = c.endsWith('Rate')
    const text = c === 'dimension' ? DIMS[v] : isRate ? pct(v) : v === null ? '—' : String(v)
    return el('td', { class: c === 'key' || c === 'dimension' ? 'k' : null, 'data-col': c, 'data-value': v === null ? '' : String(v) }, text)
  }))))
  const rec = report.reconciliation
  $('reconciliation').textContent = `办结 ${rec.closed} = 已回访 ${rec.followedUp} + 待回访 ${rec.pending} + 无法联系 ${rec.unreachable}` + (rec.balanced ? '（核对一致）' : `（差 ${rec.unaccounted}，需核查）`)
  $('reconciliation').dataset.balanced = String(rec.balanced)
  $('definitions').replaceChildren(...report.definitions.map((d) => el('li', {}, d)))
  $('status').textContent = `${report.period.value} · 生成于 ${new Date(report.generatedAt).toLocaleString('zh-CN', { hour12: false })}`
  $('csv').onclick = (e) => { e.preventDefault(); void download(`/v1/ticket-kpis?${kind}=${value}&format=csv`, `ticket-kpis-${value}.csv`) }
  $('monthly').onclick = (e) => { e.preventDefault(); void download(`/v1/ticket-kpis/monthly-analysis?month=${value.slice(0, 7)}`, `monthly-analysis-${value.slice(0, 7)}.csv`) }
  document.body.dataset.loaded = value
}

login(() => {
  const params = new URLSearchParams(location.search)
  const now = new Date()
  const kind = params.get('day') ? 'day' : 'month'
  const value = params.get('day') ?? params.get('month') ?? `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`
  $('period').kind.value = kind
  $('period-value').value = value
  $('period').addEventListener('submit', (e) => { e.preventDefault(); void load($('period').kind.value, $('period-value').value).catch((err) => { $('status').textContent = err.message }) })
  void load(kind, value).catch((err) => { $('status').textContent = err.message })
})
