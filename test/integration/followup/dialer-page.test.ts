/**
 * The dialer page (/dialer/) in real headless Chromium against a real Hotline: one language at a
 * time (Chinese by default, English on request, no mixed labels), empty tables say so, a wrong
 * password reads in Chinese, and a trunk limit the operator has typed but not saved survives the
 * page's refresh; saving it reaches the server.
 */
import t from 'tap'
import { openChromium } from '../../helpers/browser.ts'
import { ADMIN_PASSWORD, startHotline, tokenFor } from '../../helpers/hotline.ts'

const CJK = /[\u3400-\u9fff]/

t.test('the dialer page: one language, "no data", unsaved edits kept across refreshes', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  const url = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  await hotline.app.inject({ method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${admin}` }, payload: { id: 'SUP7', displayName: '值班长', role: 'supervisor', password: 'Supervisor-pass-1' } })
  const page = await openChromium(t, { viewport: { width: 1360, height: 900 }, locale: 'zh-CN' })
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))

  await page.goto(`${url}/dialer/`)
  await page.fill('input[name=username]', 'SUP7')
  await page.fill('input[name=password]', 'wrong')
  await page.click('#login button[type=submit]')
  await page.waitForFunction(() => document.querySelector('#login-error')?.textContent !== '', null, { timeout: 5000 })
  t.equal(await page.textContent('#login-error'), '工号或密码错误', 'a wrong password reads in Chinese')
  await page.fill('input[name=password]', 'Supervisor-pass-1')
  await page.click('#login button[type=submit]')
  await page.waitForSelector('#trunks tr[data-key="trunk"]', { timeout: 10000 })

  const headers = await page.$$eval('th', (ths) => ths.map((th) => th.textContent ?? '').filter(Boolean))
  t.ok(headers.every((h) => !/[A-Za-z]{3,}/.test(h) || h === 'CSV'), `Chinese headers only: ${headers.slice(0, 6).join(' | ')} …`)
  // Each table: the server's rows, or one "no data" line when there are none.
  const day = await page.inputValue('#day')
  const auth = { authorization: `Bearer ${admin}` }
  const api = {
    progress: ((await hotline.app.inject({ method: 'GET', url: `/v1/follow-ups/progress?day=${day}`, headers: auth })).json() as { rows: unknown[] }).rows,
    coverage: ((await hotline.app.inject({ method: 'GET', url: `/v1/follow-ups/coverage?from=${day}&to=${day}`, headers: auth })).json() as { rows: unknown[] }).rows
  }
  for (const [table, rows] of Object.entries(api)) {
    const shown = await page.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => tr.textContent ?? ''))
    if (rows.length === 0) t.same(shown, ['暂无数据'], `${table}: no rows, and the table says "no data"`)
    else t.equal(shown.length, rows.length, `${table}: ${rows.length} row(s) from the server, shown`)
  }
  t.equal(await page.$eval('body', (b) => getComputedStyle(b).backgroundColor), 'rgb(243, 245, 248)', 'the panel\'s page colour, not browser default white')

  // An unsaved edit survives the refresh (the page refreshes on a day change and every 10 s).
  const limit = String(Number(await page.inputValue('#trunks tr[data-key="trunk"] td:nth-child(2) input')) % 50 + 1)
  await page.fill('#trunks tr[data-key="trunk"] td:nth-child(2) input', limit)
  await page.dispatchEvent('#day', 'change')
  await page.waitForTimeout(1500)
  t.equal(await page.inputValue('#trunks tr[data-key="trunk"] td:nth-child(2) input'), limit, 'the typed limit is still there after a refresh')
  t.ok(await page.$('#trunks tr[data-key="trunk"].dirty'), 'and the row is marked unsaved')
  await page.click('#trunks tr[data-key="trunk"] button')
  await page.waitForSelector('#status.ok', { timeout: 5000 })
  t.equal(await page.textContent('#status'), '已保存', 'saved')
  const trunks = await hotline.app.inject({ method: 'GET', url: '/v1/follow-ups/trunks', headers: { authorization: `Bearer ${admin}` } })
  t.match((trunks.json() as { id: string }[]).find((k) => k.id === 'trunk'), { maxConcurrent: Number(limit) }, 'the server has the new limit')
  t.notOk(await page.$('#trunks tr[data-key="trunk"].dirty'), 'the row is no longer marked')

  await page.click('#lang')
  await page.waitForFunction(() => document.querySelector('#trunks th')?.textContent === 'Trunk' && document.querySelector('#trunks tbody button')?.textContent === 'Save', null, { timeout: 5000 })
  // (the language button itself offers 中文)
  const english = await page.$$eval('th, h3, button:not(#lang), td.none', (els) => els.map((e) => e.textContent ?? ''))
  t.ok(english.every((s) => !CJK.test(s)), `English: no Chinese label left (${english.filter((s) => CJK.test(s)).join(', ')})`)
  t.same(pageErrors, [], 'no script errors')
})
