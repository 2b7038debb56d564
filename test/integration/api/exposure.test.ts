/**
 * What the server shows of itself: security headers on the API and the pages, a request log
 * with the user and without tokens, passwords or callers' numbers, /ready without back-end
 * error text for anonymous callers, and HTTPS/WSS with the operator's certificate.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { io as connect } from 'socket.io-client'
import { createHotline } from '../../../src/app.ts'
import { loadConfig } from '../../../src/config.ts'
import { ADMIN_PASSWORD, createAgent, resetWorld, startHotline, tokenFor } from '../../helpers/hotline.ts'
import { serviceEnv, testConfig } from '../../helpers/services.ts'

t.test('security headers on the API and the pages', async (t) => {
  const hotline = await startHotline(t)
  for (const url of ['/health', '/softphone/', '/wallboard/', '/dialer/']) {
    const res = await hotline.app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, `${url} is served`)
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', `${url}: not framed by others`)
    const csp = String(res.headers['content-security-policy'])
    t.match(csp, /default-src 'self'/, `${url}: a content security policy`)
    t.match(csp, /script-src 'self'(;|$)/, `${url}: scripts only from the server itself`)
    t.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:8088/, `${url}: connections to the server and the PBX's SIP WebSocket only`)
    t.match(csp, /frame-ancestors 'none'/, `${url}: no framing`)
    t.notMatch(csp, /upgrade-insecure-requests/, `${url}: plain HTTP is not upgraded when TLS is off`)
    t.notOk(res.headers['strict-transport-security'], `${url}: no HSTS over plain HTTP`)
    t.notOk(res.headers['x-powered-by'], `${url}: does not advertise its software`)
  }
})

t.test('the request log names the user and never writes a token, a password or a caller number', async (t) => {
  const config = testConfig({ HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD })
  await resetWorld(config)
  const lines: string[] = []
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done() } })
  const hotline = await createHotline(config, { logger: { level: 'info', stream } })
  t.teardown(() => hotline.close())
  await hotline.start()
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await createAgent(hotline, admin, 'LOG1')
  const caller = '13955550123'
  const search = await hotline.app.inject({ method: 'GET', url: `/v1/calls?callerNumber=${caller}&limit=5`, headers: { authorization: `Bearer ${admin}` } })
  t.equal(search.statusCode, 200, 'a search by caller number')
  await hotline.app.inject({ method: 'GET', url: `/v1/tickets?callerNumber=${caller}`, headers: { authorization: `Bearer ${agent}` } })
  // A token in a URL (as the wallboard once did) is not written out either.
  await hotline.app.inject({ method: 'GET', url: `/wallboard/?token=${admin}` })
  await new Promise((r) => setTimeout(r, 50))
  const log = lines.join('')
  t.ok(log.length > 0, 'requests were logged')
  t.notOk(log.includes(admin), "the administrator's token is nowhere in the log")
  t.notOk(log.includes(agent), "the agent's token is nowhere in the log")
  t.notOk(log.includes(ADMIN_PASSWORD), 'nor a password')
  t.notOk(log.includes(caller), "nor the caller's number")
  t.match(log, /callerNumber=\*\*\*/, 'the search is logged with the number hidden')
  const completed = lines.map((l) => JSON.parse(l) as { msg?: string; userId?: string; req?: { url?: string } }).filter((l) => l.msg === 'request completed' || l.msg === 'incoming request')
  t.ok(completed.some((l) => l.msg === 'request completed' && l.userId === 'admin'), "the administrator's requests are logged with the user id")
  t.ok(completed.some((l) => l.msg === 'request completed' && l.userId === 'LOG1'), "the agent's too")
})

t.test('/ready tells anonymous callers which back end fails, never why', async (t) => {
  const hotline = await startHotline(t)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  await hotline.ari.stop()
  const anonymous = await hotline.app.inject({ method: 'GET', url: '/ready' })
  t.equal(anonymous.statusCode, 503, 'not ready without ARI')
  t.same(anonymous.json(), { ready: false, checks: { asterisk: { ok: false }, postgres: { ok: true }, redis: { ok: true } } }, 'the verdict per back end, no error text')
  const operator = await hotline.app.inject({ method: 'GET', url: '/ready', headers: { authorization: `Bearer ${admin}` } })
  t.type((operator.json() as { checks: { asterisk: { error?: string } } }).checks.asterisk.error, 'string', 'an administrator sees the error')
  const agent = await createAgent(hotline, admin, 'RDY1')
  const asAgent = await hotline.app.inject({ method: 'GET', url: '/ready', headers: { authorization: `Bearer ${agent}` } })
  t.notOk((asAgent.json() as { checks: { asterisk: { error?: string } } }).checks.asterisk.error, 'an agent does not')
})

t.test('HTTPS and WSS with the operator\'s certificate', async (t) => {
  t.throws(() => loadConfig({ ...serviceEnv(), HOTLINE_TLS_CERT: '/tmp/x.pem' }), /HOTLINE_TLS_CERT and HOTLINE_TLS_KEY go together/, 'a certificate without its key is refused at start')
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  const hotline = await startHotline(t, { HOTLINE_TLS_CERT: cert, HOTLINE_TLS_KEY: key })
  const address = await hotline.app.listen({ host: '127.0.0.1', port: 0 })
  t.match(address, /^https:\/\//, 'the server listens with HTTPS')
  const { readFileSync } = await import('node:fs')
  const ca = readFileSync(cert)
  const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    httpsRequest(`${address}/health`, { ca }, (r) => {
      let body = ''
      r.on('data', (c) => { body += String(c) })
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }))
    }).on('error', reject).end()
  })
  t.equal(res.status, 200, 'the API answers over HTTPS, trusted with the certificate')
  t.same(JSON.parse(res.body), { status: 'ok' }, 'the health body')
  t.match(String(res.headers['strict-transport-security']), /max-age=\d+/, 'HSTS over HTTPS')
  t.match(String(res.headers['content-security-policy']), /upgrade-insecure-requests/, 'the pages upgrade http:// references')

  const plain = await new Promise<string>((resolve) => {
    httpRequest(address.replace('https:', 'http:') + '/health', (r) => resolve(`status ${r.statusCode}`)).on('error', (err) => resolve(`error ${err.message}`)).end()
  })
  t.notMatch(plain, /status 200/, `plain HTTP on the TLS port gets no answer (${plain})`)

  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const socket = connect(`${address}/supervisor`, { auth: { token: admin }, transports: ['websocket'], ca: ca.toString(), reconnection: false })
  t.teardown(() => { socket.disconnect() })
  await new Promise<void>((resolve, reject) => { socket.on('connect', resolve); socket.on('connect_error', reject) })
  t.ok(socket.connected, 'the wallboard socket connects over WSS')
  const untrusted = connect(`${address}/supervisor`, { auth: { token: admin }, transports: ['websocket'], reconnection: false })
  t.teardown(() => { untrusted.disconnect() })
  const refused = await new Promise<string>((resolve) => { untrusted.on('connect', () => resolve('connected')); untrusted.on('connect_error', (err) => resolve(err.message)) })
  t.not(refused, 'connected', 'a client that does not trust the certificate does not connect')
})
