// Shared by the workspace pages: login (token kept in sessionStorage, as the wallboard does),
// authenticated fetch, and small helpers. Chinese by default.
export const $ = (id) => document.getElementById(id)
const KEY = 'hotline.workspace.token'
export let token = sessionStorage.getItem(KEY)

export async function api(path, { method = 'GET', body } = {}) {
  const res = await fetch(path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })
  if (res.status === 401) { sessionStorage.removeItem(KEY); location.reload(); throw new Error('登录已过期') }
  const type = res.headers.get('content-type') ?? ''
  const data = type.includes('json') ? await res.json() : await res.text()
  if (!res.ok) throw new Error(data?.message ?? `请求失败 (${res.status})`)
  return data
}

/** Wires the #login form; calls start(token, claims) once logged in (now or from the stored token). */
export function login(start) {
  const form = $('login')
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = new FormData(form)
    const res = await fetch('/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: f.get('username'), password: f.get('password') }) })
    const body = await res.json()
    if (!res.ok) { $('login-error').textContent = body.message ?? '登录失败'; return }
    sessionStorage.setItem(KEY, body.token)
    go(body.token)
  })
  $('logout')?.addEventListener('click', () => { sessionStorage.removeItem(KEY); location.reload() })
  const go = (t) => {
    token = t
    form.hidden = true
    $('app').hidden = false
    start(t, JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))))
  }
  if (token) go(token)
  else form.hidden = false
}

export const pct = (v) => (v === null || v === undefined ? '—' : `${(Math.round(v * 1000) / 10).toFixed(1)}%`)
export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '—')
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v)
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c))
  return e
}
