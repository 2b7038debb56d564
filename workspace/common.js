// Shared by the workspace pages: login and the session (public/shared/api.js: tokens in
// sessionStorage, renewed silently before they expire, sign-out on the server), authenticated
// fetch, and small helpers. Chinese by default.
import { ApiError, api as request, fetchWithSession, login as sessionLogin, logout, session } from '/shared/api.js'
import { errorText, useTexts } from '/shared/i18n.js'
import '/shared/password.js'

useTexts({ 'zh-CN': {}, en: {} })
export const $ = (id) => document.getElementById(id)
export { fetchWithSession }
// A session that ended (expired, revoked, signed out elsewhere): back to the login form.
session.onUnauthorized = () => location.reload()

export async function api(path, { method = 'GET', body } = {}) {
  return request(method, path, body)
}

/** Wires the #login form; calls start(token, claims) once logged in (now or from the stored session). */
export function login(start) {
  const form = $('login')
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = new FormData(form)
    try {
      go(await sessionLogin(String(f.get('username')), String(f.get('password'))))
    } catch (err) {
      $('login-error').textContent = err instanceof ApiError && err.code === 'HOTLINE_AUTH_UNAUTHORIZED' ? '工号或密码错误' : errorText(err instanceof ApiError ? err : null)
    }
  })
  $('logout')?.addEventListener('click', async () => { await logout(); location.reload() })
  const go = (t) => {
    form.hidden = true
    $('app').hidden = false
    start(t, JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))))
  }
  if (session.token) go(session.token)
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
