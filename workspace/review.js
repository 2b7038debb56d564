// The supervisors' review desk: rule on return and extension requests, see key supervision,
// escalations and overdue tickets, remind (催办) a unit.
import { $, api, el, fmtTime, login } from './common.js'

let units = []
const toast = (text) => { $('toast').textContent = text }
const unitName = (id) => units.find((u) => u.id === id)?.name ?? id ?? '—'

async function step(t, name, body) {
  try {
    await api(`/v1/tickets/${t.id}/${name}`, { method: 'POST', body: { version: t.version, ...body } })
    toast(`${t.number}：已处理`)
  } catch (err) { toast(err.message) }
  await load()
}

function rows(id, list, cells) {
  $(id).querySelector('tbody').replaceChildren(...(list.length ? list.map((t) => el('tr', { 'data-ticket': t.number }, cells(t).map((c) => el('td', { class: 'k' }, c)))) : [el('tr', {}, el('td', { class: 'k muted' }, '暂无'))]))
}

async function load() {
  const desk = await api('/v1/ticket-review-desk')
  rows('returns', desk.returns, (t) => {
    const pick = el('select', { name: 'leadUnitId' }, units.filter((u) => u.id !== t.leadUnitId).map((u) => el('option', { value: u.id }, u.name)))
    const ruling = el('input', { name: 'ruling', placeholder: '审核意见', value: '' })
    return [t.number, unitName(t.pendingRequest.unitId), t.pendingRequest.reason, fmtTime(t.pendingRequest.at),
      el('span', {}, pick, ruling,
        el('button', { type: 'button', 'data-act': 'redispatch', onclick: () => step(t, 'rule-return', { decision: 'redispatch', leadUnitId: pick.value, ruling: ruling.value || '改派' }) }, '同意并改派'),
        el('button', { type: 'button', 'data-act': 'reject', onclick: () => step(t, 'rule-return', { decision: 'reject', ruling: ruling.value || '首办负责，请继续办理' }) }, '驳回'))]
  })
  rows('extensions', desk.extensions, (t) => [t.number, unitName(t.pendingRequest.unitId), `${t.pendingRequest.hours} 小时`, t.pendingRequest.reason, fmtTime(t.deadline),
    el('span', {}, el('button', { type: 'button', 'data-act': 'approve', onclick: () => step(t, 'rule-extension', { approve: true, ruling: '同意延期' }) }, '同意'),
      el('button', { type: 'button', 'data-act': 'refuse', onclick: () => step(t, 'rule-extension', { approve: false, ruling: '不予延期' }) }, '不同意'))])
  $('escalations').querySelector('tbody').replaceChildren(...(desk.escalations.length ? desk.escalations.map((e) => el('tr', { 'data-escalation': e.key },
    el('td', { class: 'k' }, e.kind === 'matter' ? '同一事项多人反映' : `对单位 ${unitName(e.unitId)} 的投诉`), el('td', { class: 'k' }, e.key), el('td', {}, `${e.count} ${e.kind === 'matter' ? '人' : '件'}`), el('td', {}, `${e.windowDays} 天内`), el('td', { class: 'k' }, fmtTime(e.createdAt))))
    : [el('tr', {}, el('td', { class: 'k muted' }, '暂无'))]))
  rows('key', desk.keySupervision, (t) => [t.number, unitName(t.leadUnitId), `改派 ${t.redispatchCount} 次`, t.content.slice(0, 40)])
  rows('overdue', desk.overdue, (t) => [t.number, unitName(t.leadUnitId), fmtTime(t.deadline), t.remindedAfterAt ? `已催办 ${fmtTime(t.remindedAfterAt)}` : '未催办',
    el('button', { type: 'button', 'data-act': 'remind', onclick: () => step(t, 'remind', { when: 'after-deadline', note: '已逾期，请尽快办理' }) }, '催办')])
  document.body.dataset.loaded = String(Date.now())
}

login(async () => {
  units = await api('/v1/units')
  $('refresh').addEventListener('click', () => { void load() })
  $('remind-due').addEventListener('click', async () => { const r = await api('/v1/ticket-reminders', { method: 'POST' }); toast(`已发送 ${r.sent} 条催办`); await load() })
  await load()
})
