// The units' workspace: the unit's inbox by section, live over Socket.IO (/unit), deadlines
// counting down, and the handling steps (sign for, progress, reply, attachments, return and
// extension requests, 转办 and its review). The caller's number shows only when the caller allowed contact.
import { io } from '/socket.io/socket.io.esm.min.js'
import { keepSocketSession, socketAuth } from '/shared/api.js'
import { $, api, el, fetchWithSession, fmtTime, login } from './common.js'

const SECTIONS = [
  ['overdue', '已逾期'], ['due-soon', '即将到期'], ['new', '新工单（待签收）'], ['returned', '退回重办'], ['review', '待审核（下级答复）'],
  ['pending-request', '申请待中心审核'], ['signed-for', '已签收（办理中）'], ['co-handling', '协办 / 转办']
]
const STATUS = { dispatched: '待签收', 'signed-for': '办理中', replied: '已答复', closed: '已办结', reopened: '重办', returned: '已退回', merged: '已并单', accepted: '已受理' }
const ACTIONS = {
  accept: '受理', dispatch: '派单', 'sign-for': '签收', progress: '办理过程', reply: '答复', 'co-reply': '协办答复', 'sub-reply': '下级答复', return: '退单申请',
  'rule-return': '退单审核', 'request-extension': '延期申请', 'rule-extension': '延期审批', transfer: '转办', 'review-sub-reply': '审核', assign: '指派',
  remind: '催办', escalate: '升级督办', supervise: '督办', close: '办结', reopen: '重办', evaluate: '评价', merge: '并单'
}
let me = null
let inbox = []
let counts = {}
// Cards shown beyond the first page, per section (kept across reloads: a notice must not fold a section the user opened).
const more = {}
const PAGE = 200
let units = []
let openId = null
let skew = 0

function countdown(deadline) {
  const ms = Date.parse(deadline) - (Date.now() + skew)
  const late = ms < 0
  const m = Math.floor(Math.abs(ms) / 60000)
  const text = `${late ? '已超时 ' : '剩余 '}${Math.floor(m / 1440) ? `${Math.floor(m / 1440)}天` : ''}${Math.floor((m % 1440) / 60)}小时${m % 60}分`
  return { text, late }
}

function render() {
  const bySection = new Map(SECTIONS.map(([k]) => [k, []]))
  for (const e of inbox) bySection.get(e.section)?.push(e.ticket)
  $('summary').textContent = `共 ${Object.values(counts).reduce((a, b) => a + b, 0)} 件在办`
  $('sections').replaceChildren(...SECTIONS.map(([key, name]) => {
    const list = bySection.get(key)
    const n = counts[key] ?? list.length
    return el('section', { 'data-section': key }, el('h2', {}, `${name} `, el('span', { class: 'badge', 'data-count': n }, n), n > list.length ? el('span', { class: 'muted' }, ` 显示最早到期的 ${list.length} 件 `) : null,
      n > list.length ? el('button', { type: 'button', 'data-more': key, onclick: () => showMore(key, list.length) }, '显示更多') : null),
      el('div', { class: 'cards' }, list.map((t) => {
        const c = countdown(t.deadline)
        return el('div', { class: `card ${key}`, 'data-ticket': t.number, onclick: () => openTicket(t.id) },
          el('div', {}, el('span', { class: 'num' }, t.number), el('span', { class: 'badge' }, STATUS[t.status] ?? t.status), t.escalated ? el('span', { class: 'badge' }, '升级督办') : null, t.keySupervision ? el('span', { class: 'badge' }, '重点督办') : null),
          el('div', {}, t.content.slice(0, 60)),
          el('div', { class: `countdown${c.late ? ' late' : ''}`, 'data-deadline': t.deadline }, c.text),
          el('div', { class: 'muted' }, `时限 ${fmtTime(t.deadline)}`))
      })))
  }))
}

setInterval(() => {
  for (const node of document.querySelectorAll('[data-deadline]')) {
    const c = countdown(node.dataset.deadline)
    node.textContent = c.text
    node.classList.toggle('late', c.late)
  }
}, 1000)

async function loadInbox() {
  const data = await api(`/v1/units/me/inbox?perSection=${PAGE}`)
  skew = Date.parse(data.now) - Date.now()
  let tickets = data.tickets
  // Sections the user paged through are fetched again as far as they had been shown.
  for (const [key, extra] of Object.entries(more)) {
    if (!(extra > 0 && data.sections[key] > PAGE)) { delete more[key]; continue }
    const rest = await api(`/v1/units/me/inbox?section=${key}&offset=${PAGE}&perSection=${extra}`)
    tickets = tickets.concat(rest.tickets)
  }
  inbox = tickets
  counts = data.sections
  render()
}

async function showMore(key, shown) {
  try {
    const data = await api(`/v1/units/me/inbox?section=${key}&offset=${shown}&perSection=${PAGE}`)
    inbox = inbox.concat(data.tickets)
    counts = data.sections
    more[key] = Math.max(0, shown + data.tickets.length - PAGE)
    render()
  } catch (err) { toast(err.message) }
}

const toast = (text) => { $('toast').textContent = text }

async function act(t, step, body) {
  try {
    await api(`/v1/tickets/${t.id}/${step}`, { method: 'POST', body: { version: t.version, ...body } })
    toast(`${ACTIONS[step] ?? step}：已提交`)
    await loadInbox()
    await openTicket(t.id)
  } catch (err) { toast(err.message) }
}

function form(label, fields, onsubmit) {
  const f = el('form', { class: 'actions', 'data-form': label }, ...fields, el('button', { type: 'submit' }, label))
  f.addEventListener('submit', (e) => { e.preventDefault(); onsubmit(new FormData(f)) })
  return f
}

async function attach(t, file) {
  const data = await new Promise((resolve, reject) => {
    const r = new FileReader()
    r.onload = () => resolve(String(r.result).split(',')[1] ?? '')
    r.onerror = () => reject(new Error('读取文件失败'))
    r.readAsDataURL(file)
  })
  try {
    await api(`/v1/tickets/${t.id}/attachments`, { method: 'POST', body: { name: file.name, contentType: file.type || 'application/octet-stream', data } })
    toast(`附件 ${file.name} 已上传`)
    await openTicket(t.id)
  } catch (err) { toast(err.message) }
}

let renders = 0
async function openTicket(id) {
  openId = id
  const mine = ++renders
  const [t, events, files] = await Promise.all([api(`/v1/tickets/${id}`), api(`/v1/tickets/${id}/events`), api(`/v1/tickets/${id}/attachments`)])
  // A notice and the user's own step can both reload the detail: only the newest load is drawn,
  // and a form the user is typing into is not redrawn under their hands by a notice.
  if (mine !== renders) return
  const lead = t.leadUnitId === me.unitId
  const sub = t.subUnitId === me.unitId
  const co = t.coUnitIds.includes(me.unitId)
  const below = units.filter((u) => u.parentId === me.unitId)
  const coReplies = events.filter((e) => e.action === 'co-reply')
  const box = $('detail')
  box.hidden = false
  box.dataset.ticket = t.number
  box.dataset.status = t.status
  box.dataset.version = String(t.version)
  const actions = []
  if (lead && t.status === 'dispatched') actions.push(el('button', { type: 'button', 'data-act': 'sign-for', onclick: () => act(t, 'sign-for', {}) }, '签收'))
  if (t.status === 'dispatched' || t.status === 'signed-for') {
    actions.push(form('记录办理过程', [el('textarea', { name: 'note', rows: 2, placeholder: '办理过程', required: true })], (f) => act(t, 'progress', { note: f.get('note') })))
    actions.push(el('label', {}, '上传附件 ', el('input', { type: 'file', 'data-act': 'attach', onchange: (e) => e.target.files[0] && attach(t, e.target.files[0]) })))
  }
  if (co || sub) {
    actions.push(form(co ? '答复主办单位' : '向上级答复', [el('textarea', { name: 'content', rows: 3, placeholder: co ? '协办意见' : '办理结果', required: true })], (f) => act(t, 'reply', { content: f.get('content') })))
  }
  if (lead && t.status === 'signed-for') {
    const waiting = t.waitingForCoUnits
    actions.push(form('答复', [el('textarea', { name: 'content', rows: 3, placeholder: '答复内容（办理结果）', required: true, disabled: waiting.length > 0 })],
      (f) => act(t, 'reply', { content: f.get('content') })))
    if (waiting.length > 0) actions.push(el('p', { class: 'muted', 'data-waiting': waiting.join(',') }, `等待协办单位答复：${waiting.join('、')}`))
    if (below.length > 0) actions.push(form('转办', [el('select', { name: 'subUnitId' }, below.map((u) => el('option', { value: u.id }, u.name)))], (f) => act(t, 'transfer', { subUnitId: f.get('subUnitId') })))
    if (t.subReply) {
      actions.push(el('p', {}, `下级单位答复（待审核）：${t.subReply.content}`))
      actions.push(el('button', { type: 'button', 'data-act': 'approve-sub', onclick: () => act(t, 'review-sub-reply', { approve: true }) }, '审核通过并答复'))
      actions.push(el('button', { type: 'button', 'data-act': 'refuse-sub', onclick: () => act(t, 'review-sub-reply', { approve: false, note: '请补充' }) }, '退回下级'))
    }
  }
  if (lead && (t.status === 'dispatched' || t.status === 'signed-for') && !t.pendingRequest) {
    actions.push(form('申请退单', [el('input', { name: 'reason', placeholder: '退单理由', required: true })], (f) => act(t, 'return', { reason: f.get('reason') })))
    actions.push(form('申请延期', [el('input', { name: 'reason', placeholder: '延期理由', required: true }), el('input', { name: 'hours', type: 'number', min: 1, max: 720, value: 24 })],
      (f) => act(t, 'request-extension', { reason: f.get('reason'), hours: Number(f.get('hours')) })))
  }
  const c = countdown(t.deadline)
  box.replaceChildren(...[
    el('h2', {}, `工单 ${t.number}`, el('span', { class: 'badge' }, STATUS[t.status] ?? t.status)),
    el('p', {}, t.content),
    el('p', { class: 'muted' }, `地址：${t.address ?? '—'} · 分类：${t.categoryCode} · `, el('span', { class: `countdown${c.late ? ' late' : ''}`, 'data-deadline': t.deadline }, c.text)),
    el('p', { id: 'caller' }, t.callerHidden ? '来电人：（群众未同意联系，号码保密）' : `来电人：${t.callerName ?? ''} ${t.callerNumber}`),
    t.pendingRequest ? el('p', { class: 'muted' }, `${t.pendingRequest.kind === 'return' ? '退单' : '延期'}申请待中心审核：${t.pendingRequest.reason}`) : null,
    el('h2', {}, '协办单位答复'),
    el('ul', { id: 'co-replies' }, coReplies.length ? coReplies.map((e) => el('li', {}, `${e.detail.unitId}：${e.detail.content}`)) : el('li', { class: 'muted' }, '暂无')),
    el('h2', {}, '附件'),
    el('ul', { id: 'attachments' }, files.length ? files.map((f) => el('li', {}, el('a', { href: '#', onclick: (e) => { e.preventDefault(); void download(t, f) } }, f.name), ` ${Math.ceil(f.size / 1024)} KB`)) : el('li', { class: 'muted' }, '暂无')),
    el('div', { class: 'actions', id: 'actions' }, actions),
    el('h2', {}, '办理记录'),
    el('ol', { id: 'trail' }, events.map((e) => el('li', { 'data-action': e.action }, `${fmtTime(e.at)} ${ACTIONS[e.action] ?? e.action}（${e.actorId}）${e.detail.note ?? e.detail.content ?? e.detail.reason ?? e.detail.ruling ?? ''}`)))
  ].filter(Boolean))
}

async function download(t, f) {
  const res = await fetchWithSession(`/v1/tickets/${t.id}/attachments/${f.id}`)
  const a = el('a', { href: URL.createObjectURL(await res.blob()), download: f.name })
  a.click()
}

login(async (_token, claims) => {
  me = { id: claims.sub, unitId: claims.unitId }
  if (claims.role !== 'unit') { toast('此工作台供承办单位使用'); return }
  units = await api('/v1/units')
  $('unit-name').textContent = `· ${units.find((u) => u.id === me.unitId)?.name ?? me.unitId}`
  // The token is read at every (re)connect, renewals are passed to the open socket.
  const socket = io('/unit', { auth: socketAuth(), transports: ['websocket'] })
  const renewAfterRefusal = keepSocketSession(socket)
  socket.on('connect', () => { $('conn').classList.add('on'); void loadInbox() })
  socket.on('disconnect', () => $('conn').classList.remove('on'))
  socket.on('connect_error', async (err) => { if (!(await renewAfterRefusal(err))) toast(err.message) })
  socket.on('ticket:notice', (n) => {
    const words = { dispatched: '新派工单', withdrawn: '工单已改派他处', ruled: '中心已审核', reminded: '催办', escalated: '升级督办', transferred: '转办工单', reviewed: '上级已审核', changed: '工单有更新' }
    toast(`${words[n.reason] ?? '更新'}：${n.number}`)
    void loadInbox()
    if (openId === n.ticketId && n.reason !== 'withdrawn') void openTicket(n.ticketId)
  })
  await loadInbox()
})
