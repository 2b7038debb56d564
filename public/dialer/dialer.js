// @ts-check
// Supervisors' page for the outbound dialer: campaigns (run, pause, windows), trunk limits,
// today's progress, coverage and callback figures, CSV downloads. Plain REST with the session's
// token (/shared/api.js). It refreshes every 10 s; rows are keyed, and a field the operator has
// changed and not saved keeps their value across refreshes (marked until saved).
import { ApiError, api, fetchWithSession, login, logout, session } from '/shared/api.js'
import '/shared/password.js'
import { dayIn, percent } from '/shared/format.js'
import { currentLang, errorText, setLang, t, translatePage, useTexts } from '/shared/i18n.js'
import { TEXTS } from './texts.js'

useTexts(TEXTS)
/** @param {string} id @returns {any} */
const $ = (id) => document.getElementById(id)
const zoneDay = () => dayIn('Asia/Shanghai')
/** @type {ReturnType<typeof setInterval> | null} */
let timer = null

session.onUnauthorized = () => { stop(); showLogin() }

/** @param {HTMLTableRowElement} tr @param {string} text */
function cell(tr, text) { const td = document.createElement('td'); td.textContent = text ?? ''; tr.append(td); return td }

/** A table's body with a "no data" line when there are no rows. @param {string} id @param {HTMLTableRowElement[]} rows */
function fill(id, rows) {
  const tbody = $(id).tBodies[0]
  if (rows.length) { tbody.replaceChildren(...rows); return }
  const tr = document.createElement('tr')
  const td = cell(tr, t('no-data'))
  td.colSpan = $(id).tHead.rows[0].cells.length
  td.className = 'none'
  tbody.replaceChildren(tr)
}

/**
 * Keyed editable rows: an existing row is updated in place; an input the operator changed keeps
 * their value (and the row is marked) until it is saved.
 * @param {string} id @param {{ key: string; build: () => HTMLTableRowElement; update: (tr: HTMLTableRowElement) => void }[]} rows
 */
function keyed(id, rows) {
  const tbody = $(id).tBodies[0]
  /** @type {Map<string, HTMLTableRowElement>} */
  const old = new Map([...tbody.rows].filter((r) => r.dataset.key).map((r) => [r.dataset.key ?? '', r]))
  const next = rows.map(({ key, build, update }) => {
    const tr = old.get(key) ?? Object.assign(build(), {})
    tr.dataset.key = key
    update(tr)
    return tr
  })
  fill(id, next)
}

/** Sets an input from the server unless the operator has changed it. @param {HTMLInputElement} input @param {string} value */
function serverValue(input, value) {
  if (input.dataset.dirty === '1') return
  input.value = value
  input.dataset.server = value
}
/** @param {HTMLInputElement} input */
function editable(input) {
  input.addEventListener('input', () => {
    input.dataset.dirty = input.value === input.dataset.server ? '' : '1'
    input.closest('tr')?.classList.toggle('dirty', [...(input.closest('tr')?.querySelectorAll('input') ?? [])].some((i) => /** @type {HTMLInputElement} */ (i).dataset.dirty === '1'))
  })
  return input
}
/** After a save: the row's inputs follow the server again. @param {HTMLTableRowElement} tr */
function clean(tr) { for (const i of tr.querySelectorAll('input')) i.dataset.dirty = ''; tr.classList.remove('dirty') }

/** @param {string} path @param {string} name */
async function download(path, name) {
  try {
    const res = await fetchWithSession(path)
    if (!res.ok) throw new ApiError((await res.json().catch(() => ({}))).code ?? `HTTP_${res.status}`, res.statusText, res.status)
    const a = document.createElement('a')
    a.href = URL.createObjectURL(await res.blob())
    a.download = name
    a.click()
    URL.revokeObjectURL(a.href)
  } catch (err) { show(err) }
}

async function refresh() {
  try {
    const day = $('day').value || zoneDay()
    const [progress, campaigns, trunks, coverage] = await Promise.all([
      api('GET', `/v1/follow-ups/progress?day=${day}`), api('GET', '/v1/follow-ups/campaigns'), api('GET', '/v1/follow-ups/trunks'), api('GET', `/v1/follow-ups/coverage?from=${day}&to=${day}`)
    ])
    fill('progress', progress.rows.map((/** @type {Record<string, unknown>} */ r) => {
      const tr = document.createElement('tr')
      for (const k of ['campaignId', 'due', 'inProgress', 'dialled', 'answered', 'satisfied', 'basicallySatisfied', 'unsatisfied', 'unreachable', 'done']) cell(tr, String(r[k]))
      return tr
    }))
    keyed('campaigns', campaigns.map((/** @type {any} */ c) => ({
      key: c.id,
      build: () => {
        const tr = document.createElement('tr')
        for (let i = 0; i < 5; i++) cell(tr, '')
        const input = editable(Object.assign(document.createElement('input'), { className: 'windows' }))
        cell(tr, '').append(input)
        for (let i = 0; i < 3; i++) cell(tr, '')
        const toggle = document.createElement('button')
        const save = document.createElement('button')
        cell(tr, '').append(toggle, ' ', save)
        toggle.onclick = () => api('POST', `/v1/follow-ups/campaigns/${tr.dataset.key}/${tr.dataset.state === 'running' ? 'pause' : 'run'}`).then(refresh, show)
        save.onclick = () => {
          const ws = input.value.split(',').map((p) => { const [from, to] = p.trim().split('-'); return { from, to } })
          api('PUT', `/v1/follow-ups/campaigns/${tr.dataset.key}`, { name: tr.dataset.name, windows: ws }).then(() => { clean(tr); saved(); return refresh() }, show)
        }
        return tr
      },
      update: (/** @type {HTMLTableRowElement} */ tr) => {
        const [id, name, line, mode, state, windows, max, retry, trunk, actions] = [...tr.cells]
        tr.dataset.state = c.state
        tr.dataset.name = c.name
        id.textContent = c.id; name.textContent = c.name; line.textContent = c.lineNumber ?? t('other-lines')
        mode.textContent = t(c.mode === 'survey' ? 'mode.survey' : 'mode.agent')
        state.textContent = t(`state.${c.state}`); state.className = c.state
        serverValue(/** @type {HTMLInputElement} */ (windows.querySelector('input')), c.windows.map((/** @type {{ from: string; to: string }} */ w) => `${w.from}-${w.to}`).join(','))
        max.textContent = String(c.maxAttempts); retry.textContent = c.retryMinutes.join(','); trunk.textContent = c.trunkId
        const [toggle, save] = actions.querySelectorAll('button')
        toggle.textContent = t(c.state === 'running' ? 'pause' : 'run')
        save.textContent = t('save-windows')
      }
    })))
    keyed('trunks', trunks.map((/** @type {any} */ k) => ({
      key: k.id,
      build: () => {
        const tr = document.createElement('tr')
        cell(tr, '')
        const conc = editable(Object.assign(document.createElement('input'), { type: 'number', min: '1' }))
        const cps = editable(Object.assign(document.createElement('input'), { type: 'number', step: '0.1', min: '0.1' }))
        cell(tr, '').append(conc)
        cell(tr, '').append(cps)
        const save = document.createElement('button')
        save.onclick = () => api('PUT', `/v1/follow-ups/trunks/${tr.dataset.key}`, { maxConcurrent: Number(conc.value), callsPerSecond: Number(cps.value) }).then(() => { clean(tr); saved(); return refresh() }, show)
        cell(tr, '').append(save)
        return tr
      },
      update: (/** @type {HTMLTableRowElement} */ tr) => {
        const [id, conc, cps, actions] = [...tr.cells]
        id.textContent = k.id
        serverValue(/** @type {HTMLInputElement} */ (conc.querySelector('input')), String(k.maxConcurrent))
        serverValue(/** @type {HTMLInputElement} */ (cps.querySelector('input')), String(k.callsPerSecond))
        ;/** @type {HTMLButtonElement} */ (actions.querySelector('button')).textContent = t('save')
      }
    })))
    fill('coverage', coverage.rows.map((/** @type {Record<string, any>} */ r) => {
      const tr = document.createElement('tr')
      for (const k of ['day', 'lineNumber', 'closed', 'followedUp', 'unreachable', 'pending']) cell(tr, String(r[k] ?? ''))
      cell(tr, percent(r.coverage))
      return tr
    }))
    if ($('status').className !== 'ok') $('status').textContent = ''
  } catch (err) { show(err) }
}

/** @param {unknown} err */
function show(err) { $('status').className = 'error'; $('status').textContent = errorText(err instanceof ApiError ? err : null) }
function saved() { $('status').className = 'ok'; $('status').textContent = t('saved'); setTimeout(() => { if ($('status').className === 'ok') $('status').textContent = '' }, 3000) }

$('login').addEventListener('submit', async (/** @type {SubmitEvent} */ e) => {
  e.preventDefault()
  const form = new FormData(/** @type {HTMLFormElement} */ (e.target))
  try {
    await login(String(form.get('username')), String(form.get('password')))
    start()
  } catch (err) {
    $('login-error').textContent = errorText(err instanceof ApiError ? err : null, 'login')
  }
})
$('logout').addEventListener('click', async () => { await logout(); location.reload() })
$('lang').addEventListener('click', () => { setLang(currentLang() === 'zh-CN' ? 'en' : 'zh-CN'); relabel() })
$('day').addEventListener('change', refresh)
$('csv-progress').onclick = () => { const d = $('day').value || zoneDay(); download(`/v1/follow-ups/progress?day=${d}&format=csv`, `follow-up-progress-${d}.csv`) }
$('csv-coverage').onclick = () => { const d = $('day').value || zoneDay(); download(`/v1/follow-ups/coverage?from=${d}&to=${d}&format=csv`, `follow-up-coverage-${d}.csv`) }
$('csv-callbacks').onclick = () => { const d = $('day').value || zoneDay(); download(`/v1/callbacks/stats?from=${d}&to=${d}&format=csv`, `callbacks-${d}.csv`) }

function showLogin() { $('login-view').hidden = false; $('main').hidden = true; $('logout').hidden = true }
function stop() { if (timer) clearInterval(timer); timer = null }
function start() {
  $('login-view').hidden = true
  $('main').hidden = false
  $('logout').hidden = false
  if (!$('day').value) $('day').value = zoneDay()
  void refresh()
  stop()
  timer = setInterval(refresh, 10000)
}
function relabel() {
  translatePage()
  $('lang').textContent = currentLang() === 'zh-CN' ? 'EN' : '中文'
  if (!$('main').hidden) void refresh()
}

relabel()
if (session.token) start()
else showLogin()
