// Supervisors' page for the outbound dialer: campaigns (run, pause, windows), trunk limits,
// today's progress, coverage and callback figures, CSV downloads. Plain REST with the bearer
// token kept in sessionStorage (as the wallboard does).
const $ = (id) => document.getElementById(id)
let token = sessionStorage.getItem('hotline.token')
const zoneDay = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())

async function api(method, path, body) {
  const res = await fetch(path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })
  if (res.status === 401) { sessionStorage.removeItem('hotline.token'); location.reload() }
  const text = await res.text()
  const data = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text
  if (!res.ok) throw new Error(data.message ?? res.statusText)
  return data
}

function cell(tr, text) { const td = document.createElement('td'); td.textContent = text ?? ''; tr.append(td); return td }

async function download(path, name) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } })
  const blob = await res.blob()
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name
  a.click()
  URL.revokeObjectURL(a.href)
}

async function refresh() {
  try {
    const day = $('day').value || zoneDay()
    const progress = await api('GET', `/v1/follow-ups/progress?day=${day}`)
    const pbody = $('progress').tBodies[0]
    pbody.replaceChildren(...progress.rows.map((r) => {
      const tr = document.createElement('tr')
      for (const k of ['campaignId', 'due', 'inProgress', 'dialled', 'answered', 'satisfied', 'basicallySatisfied', 'unsatisfied', 'unreachable', 'done']) cell(tr, String(r[k]))
      return tr
    }))
    const campaigns = await api('GET', '/v1/follow-ups/campaigns')
    $('campaigns').tBodies[0].replaceChildren(...campaigns.map((c) => {
      const tr = document.createElement('tr')
      cell(tr, c.id); cell(tr, c.name); cell(tr, c.lineNumber ?? '（其他线路 other lines）'); cell(tr, c.mode === 'survey' ? '自动语音 IVR' : '坐席 agent')
      cell(tr, c.state === 'running' ? '运行 running' : '暂停 paused').className = c.state
      const windows = cell(tr, '')
      const input = document.createElement('input')
      input.value = c.windows.map((w) => `${w.from}-${w.to}`).join(',')
      input.style.width = '14rem'
      windows.append(input)
      cell(tr, String(c.maxAttempts)); cell(tr, c.retryMinutes.join(',')); cell(tr, c.trunkId)
      const actions = cell(tr, '')
      const toggle = document.createElement('button')
      toggle.textContent = c.state === 'running' ? '暂停 Pause' : '运行 Run'
      toggle.onclick = () => api('POST', `/v1/follow-ups/campaigns/${c.id}/${c.state === 'running' ? 'pause' : 'run'}`).then(refresh, show)
      const save = document.createElement('button')
      save.textContent = '保存时段 Save windows'
      save.onclick = () => {
        const ws = input.value.split(',').map((p) => { const [from, to] = p.trim().split('-'); return { from, to } })
        api('PUT', `/v1/follow-ups/campaigns/${c.id}`, { name: c.name, windows: ws }).then(refresh, show)
      }
      actions.append(toggle, ' ', save)
      return tr
    }))
    const trunks = await api('GET', '/v1/follow-ups/trunks')
    $('trunks').tBodies[0].replaceChildren(...trunks.map((t) => {
      const tr = document.createElement('tr')
      cell(tr, t.id)
      const conc = document.createElement('input'); conc.type = 'number'; conc.value = t.maxConcurrent; cell(tr, '').append(conc)
      const cps = document.createElement('input'); cps.type = 'number'; cps.step = '0.1'; cps.value = t.callsPerSecond; cell(tr, '').append(cps)
      const save = document.createElement('button'); save.textContent = '保存 Save'
      save.onclick = () => api('PUT', `/v1/follow-ups/trunks/${t.id}`, { maxConcurrent: Number(conc.value), callsPerSecond: Number(cps.value) }).then(refresh, show)
      cell(tr, '').append(save)
      return tr
    }))
    const coverage = await api('GET', `/v1/follow-ups/coverage?from=${day}&to=${day}`)
    $('coverage').tBodies[0].replaceChildren(...coverage.rows.map((r) => {
      const tr = document.createElement('tr')
      for (const k of ['day', 'lineNumber', 'closed', 'followedUp', 'unreachable', 'pending']) cell(tr, String(r[k] ?? ''))
      cell(tr, r.coverage === null ? '—' : `${(r.coverage * 100).toFixed(1)}%`)
      return tr
    }))
    $('status').textContent = ''
  } catch (err) { show(err) }
}

function show(err) { $('status').textContent = String(err.message ?? err) }

$('login').addEventListener('submit', async (e) => {
  e.preventDefault()
  const form = new FormData(e.target)
  const res = await fetch('/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: form.get('username'), password: form.get('password') }) })
  const body = await res.json()
  if (!res.ok) { $('login-error').textContent = body.message ?? '登录失败'; return }
  sessionStorage.setItem('hotline.token', body.token)
  start(body.token)
})
$('logout').addEventListener('click', () => { sessionStorage.removeItem('hotline.token'); location.reload() })
$('day').addEventListener('change', refresh)
$('csv-progress').onclick = () => { const d = $('day').value || zoneDay(); download(`/v1/follow-ups/progress?day=${d}&format=csv`, `follow-up-progress-${d}.csv`) }
$('csv-coverage').onclick = () => { const d = $('day').value || zoneDay(); download(`/v1/follow-ups/coverage?from=${d}&to=${d}&format=csv`, `follow-up-coverage-${d}.csv`) }
$('csv-callbacks').onclick = () => { const d = $('day').value || zoneDay(); download(`/v1/callbacks/stats?from=${d}&to=${d}&format=csv`, `callbacks-${d}.csv`) }

function start(t) {
  token = t
  $('login').hidden = true
  $('main').hidden = false
  $('logout').hidden = false
  $('day').value = zoneDay()
  refresh()
  setInterval(refresh, 10000)
}
if (token) start(token)
