/**
 * `npm start` as a newcomer uses it: it prints what it does and where it listens and nothing else
 * (no raw ARI notices, no stack traces); a second `npm start` says in one line that one runs;
 * `node bin/hotline.js check-config` as the README writes it reads the same local settings;
 * the server runs the build (dist/server) and prints its time to ready;
 * SIGINT and SIGTERM to the npm process stop the server and the local services it started
 * (checked by their pids). The README's "First call in five minutes" is followed as written: step 2's
 * block, step 3 in the panel (headless Chromium), step 4's SIPp block, whose call pops in the panel
 * and is answered there. Runs with a state folder of its own, its own PostgreSQL and Redis on
 * other ports; Asterisk is the suite's (given as an external HOTLINE_ARI_URL, so left alone).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { REPO, serviceEnv } from '../../helpers/services.ts'
import { waitFor } from '../../helpers/hotline.ts'
import { openChromium } from '../../helpers/browser.ts'

const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }

function newcomerEnv(stateDir: string, port: number): NodeJS.ProcessEnv {
  const services = serviceEnv()
  // A clean environment, as a new shell has: none of the suite's HOTLINE_* or database URLs.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HOTLINE_|DATABASE_URL|REDIS_URL|LOG_LEVEL|PORT|HOST)/.test(k)))
  return {
    ...base, HOTLINE_STATE_DIR: stateDir, HOTLINE_PBX_ROOT: process.env.HOTLINE_PBX_ROOT ?? '/opt/hotline-pbx', PORT: String(port),
    HOTLINE_PG_PORT: String(55400 + (port % 50)), HOTLINE_REDIS_PORT: String(56400 + (port % 50)),
    // The suite's Asterisk, under another spelling of its address: external, so not started or stopped.
    HOTLINE_ARI_URL: services.HOTLINE_ARI_URL!.replace('127.0.0.1', 'localhost'), HOTLINE_ARI_USER: services.HOTLINE_ARI_USER!, HOTLINE_ARI_PASSWORD: services.HOTLINE_ARI_PASSWORD!
  }
}

async function npmStart(t: Test, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn('npm', ['start'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => { if (child.exitCode === null) spawnSync('bash', ['scripts/stop.sh'], { cwd: REPO, env }) })
  const end = Date.now() + 90_000
  while (!/hotline: listening on /.test(out)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`npm start did not come up (exit ${child.exitCode}):\n${out}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  return { child, output: () => out, exited }
}

function pidsOf(stateDir: string) {
  const read = (f: string) => Number(readFileSync(path.join(stateDir, f), 'utf8').split('\n')[0])
  return { server: read('server.pid'), redis: read('redis.pid'), postgres: read('pg/postmaster.pid') }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  t.test(`npm start, then ${signal} to npm: everything it started stops`, async (t) => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'hotline-start-'))
    chmodSync(stateDir, 0o755) // PostgreSQL runs as its own OS user and keeps its cluster in here
    t.teardown(() => rmSync(stateDir, { recursive: true, force: true }))
    const port = signal === 'SIGINT' ? 3901 : 3902
    const env = newcomerEnv(stateDir, port)
    const run = await npmStart(t, env)
    const pids = pidsOf(stateDir)
    t.ok(alive(pids.server) && alive(pids.redis) && alive(pids.postgres), `server ${pids.server}, Redis ${pids.redis} and PostgreSQL ${pids.postgres} run`)
    // Least privilege: the server is not root (the service user setup.sh made, where it can read
    // the checkout), and it holds the application role's database URL only, not the owner's.
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pids.server}/status`, 'utf8'))![1])
    const serviceUid = Number(spawnSync('id', ['-u', 'hotline'], { encoding: 'utf8' }).stdout.trim())
    const readable = spawnSync('setpriv', ['--reuid', 'hotline', '--regid', 'hotline', '--init-groups', '--', 'test', '-r', path.join(REPO, 'dist/server/main.js')]).status === 0
    if (readable) t.equal(uid, serviceUid, `the server runs as the service user hotline (uid ${serviceUid}), not root`)
    else t.match(run.output(), /cannot read .*: the server runs as root/, 'the checkout is closed to the service user: npm start says the server stays root')
    const environ = readFileSync(`/proc/${pids.server}/environ`, 'utf8').split('\0')
    t.ok(environ.some((e) => e.startsWith('DATABASE_URL=postgres://hotline_app:')), 'the server connects as hotline_app')
    t.notOk(environ.some((e) => e.startsWith('HOTLINE_MIGRATE_DATABASE_URL=')), 'and never sees the owner\'s URL (npm start migrated before)')

    // A newcomer opens the pages: their static files are not logged line by line.
    for (const page of ['/softphone/', '/softphone/app.js', '/wallboard/', '/dialer/']) t.equal((await fetch(`http://127.0.0.1:${port}${page}`)).status, 200, `GET ${page}`)
    await new Promise((r) => setTimeout(r, 300))
    const start = run.output()
    t.match(start, `hotline: listening on http://127.0.0.1:${port}`, 'it says where it listens')
    // The time to ready, from the process's start (bench:startup measures it; the aim is < 1 s).
    const ready = await waitFor('the ready line', async () => /hotline: ready (\d+) ms after the process started \(ARI, PostgreSQL, Redis connected, migrations checked[;)]/.exec(run.output()) ?? undefined, 20_000, 100)
    t.ok(Number(ready[1]) > 0, `it says when it was ready (${ready[1]} ms after the process started)`)
    t.match(readFileSync(`/proc/${pids.server}/cmdline`, 'utf8'), 'dist/server/main.js', 'the server runs the build, not the TypeScript sources')
    t.notMatch(start, /deprecated version of Swagger|\[\s*'/, 'no raw ARI library notice')
    t.notMatch(start, /"url":"\/(softphone|wallboard|dialer)\//, 'no static file request logged')
    t.notMatch(start, /Error|at .*\.ts:\d+/, 'no error or stack trace')

    if (signal === 'SIGINT') {
      // A second start while this one runs: one line, no EADDRINUSE trace.
      const second = spawnSync('npm', ['start'], { cwd: REPO, env, encoding: 'utf8', timeout: 30_000 })
      const lines = (second.stdout + second.stderr).split('\n').filter((l) => l.trim() && !l.startsWith('>'))
      t.equal(second.status, 1, 'the second npm start exits 1')
      t.same(lines, [`hotline: already running (pid ${pids.server}, http://127.0.0.1:${port}); stop it with: npm stop`], 'and says so in one line')

      // check-config as the README writes it, with no settings in the environment: it reads the
      // local settings npm start uses (the state folder is the one thing this test moves).
      const check = spawnSync('node', ['bin/hotline.js', 'check-config'], { cwd: REPO, env: { ...Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('HOTLINE_') && k !== 'PORT')), HOTLINE_STATE_DIR: stateDir }, encoding: 'utf8' })
      t.equal(check.status, 0, `check-config exits 0 (${check.stderr.trim().slice(0, 300)})`)
      const shown = JSON.parse(check.stdout) as Record<string, unknown>
      t.match(shown, { DATABASE_URL: `postgres://hotline_app:***@127.0.0.1:${env.HOTLINE_PG_PORT}/hotline`, HOTLINE_JWT_SECRET: '***', HOTLINE_ARI_PASSWORD: '***' }, 'the same database as npm start (the application role, its password hidden), secrets hidden')

      // The README's "First call in five minutes", step 2's shell block as written (port and state
      // folder through the variables the blocks read).
      const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8')
      const section = readme.slice(readme.indexOf('## First call in five minutes'), readme.indexOf('## What runs where'))
      const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!)
      t.equal(blocks.length, 2, 'the section has its command blocks (steps 2 and 4)')
      const step2 = spawnSync('bash', ['-euo', 'pipefail', '-c', blocks[0]!], { cwd: REPO, env, encoding: 'utf8', timeout: 30_000 })
      t.equal(step2.status, 0, `step 2 runs (${step2.stderr.trim().slice(0, 300)})`)
      t.match(step2.stdout, /"id":"A001"[\s\S]*"seat":"8001"/, 'it created agent A001 and assigned seat 8001')
      const base = `http://127.0.0.1:${port}`
      const agentLogin = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'A001', password: 'first-call-123' }) })
      t.equal(agentLogin.status, 200, 'A001 logs in with the README\'s password')
      const agentToken = ((await agentLogin.json()) as { token: string }).token
      const seats = await (await fetch(`${base}/v1/agents/me/web-seats`, { headers: { authorization: `Bearer ${agentToken}` } })).json()
      t.same(seats, [{ seat: '8001', free: true, via: 'agent' }], 'the panel would offer seat 8001')

      // Step 3 in the panel (Chromium, fake microphone), then step 4's SIPp block as written: the
      // call from the carrier trunk pops in the panel and is answered there.
      const page = await openChromium(t, { viewport: { width: 1360, height: 860 }, locale: 'zh-CN', media: true })
      await page.goto(`${base}/`)
      await page.fill('#login-user', 'A001')
      await page.fill('#login-pass', 'first-call-123')
      await page.click('#login-form button[type=submit]')
      await page.waitForSelector('#seat-view:not(.hidden)', { timeout: 15000 })
      await page.selectOption('#seat-input', '8001')
      await page.click('#seat-form button[type=submit]')
      await page.waitForSelector('#ind-sip.on', { timeout: 15000 })
      await page.click('#btn-ready')
      await page.waitForSelector('#agent-state.state-ready', { timeout: 5000 })
      t.pass('step 3: A001 chose seat 8001 in the panel and is ready')
      const step4 = spawn('bash', ['-euo', 'pipefail', '-c', blocks[1]!], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let sippOut = ''
      step4.stdout!.on('data', (d) => { sippOut = (sippOut + d).slice(-4000) })
      step4.stderr!.on('data', (d) => { sippOut = (sippOut + d).slice(-4000) })
      const step4Done = new Promise<number | null>((resolve) => step4.once('exit', (code) => resolve(code)))
      t.teardown(() => { if (step4.exitCode === null) step4.kill('SIGTERM') })
      await page.waitForSelector('#pop[data-call-id]', { timeout: 45000 }).catch((err: Error) => { throw new Error(`${err.message}\nstep 4: ${sippOut}`) })
      t.equal(await page.textContent('#pop-caller'), '13800138000', 'step 4: the call pops in the panel with the caller')
      t.match(await page.textContent('#pop-line'), /12345/, 'and the line')
      await page.waitForSelector('#btn-answer:not([disabled])', { timeout: 10000 })
      await page.click('#btn-answer')
      await waitFor('the call to be talking', () => page.evaluate(() => (window as unknown as { __panel: { phase: string } }).__panel.phase === 'talking'), 15000, 100)
      await page.waitForSelector('#agent-state.state-talking', { timeout: 5000 })
      t.pass('the agent answered it in the panel')
      await page.click('#btn-hangup')
      const sippCode = await Promise.race([step4Done, new Promise((r) => setTimeout(() => r('timeout'), 20_000))])
      t.equal(sippCode, 0, 'step 4\'s SIPp ends normally when the agent hangs up', { output: sippCode === 0 ? '' : sippOut })
    }

    run.child.kill(signal)
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))])
    t.equal(code, 0, `npm start ends (exit ${code})`)
    await waitFor('the started processes to end', async () => !alive(pids.server) && !alive(pids.redis) && !alive(pids.postgres), 10_000, 100)
    t.pass('server, Redis and PostgreSQL are gone (by pid)')
    t.match(run.output(), 'hotline: stopped: the server, PostgreSQL, Redis\n', 'the last line says what stopped (Asterisk was not started here)')
  })
}
