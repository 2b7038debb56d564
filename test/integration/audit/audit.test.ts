/**
 * The security audit log (安全审计) against the real PostgreSQL: logins (right and wrong), user
 * creation, a recording download, ticket reads are recorded with who, when, from where and the
 * outcome; only the auditor reads or exports it; the database refuses to change or delete a row,
 * even one the application wrote; a ticket's own trail outlives the ticket.
 */
import t from 'tap'
import { loadConfig } from '../../../src/config.ts'
import { ADMIN_PASSWORD, createAgent, ownerSql, startHotline, tokenFor } from '../../helpers/hotline.ts'
import { serviceEnv } from '../../helpers/services.ts'

interface Row { id: string; at: string; actor: string | null; actorRole: string | null; action: string; target: string | null; outcome: string; ip: string | null; details: Record<string, unknown> }

t.test('the audit log records security events and only the auditor reads it', async (t) => {
  const hotline = await startHotline(t)
  const since = new Date().toISOString()
  const inject = (method: 'GET' | 'POST', url: string, token?: string, payload?: object, headers: Record<string, string> = {}) =>
    hotline.app.inject({ method, url, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(payload ? { payload } : {}), remoteAddress: '198.51.100.7' })

  const wrong = await inject('POST', '/v1/auth/token', undefined, { username: 'admin', password: 'guessing-wrong' })
  t.equal(wrong.statusCode, 401, 'a wrong password is refused')
  const ghost = await inject('POST', '/v1/auth/token', undefined, { username: 'nobody-here', password: 'guessing-wrong' })
  t.equal(ghost.statusCode, 401, 'an unknown user is refused')
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const agent = await createAgent(hotline, admin, 'AU1')
  t.equal((await inject('POST', '/v1/users', admin, { id: 'AUD1', displayName: '审计员', role: 'auditor', password: 'Auditor-password' })).statusCode, 201, 'an auditor account is created')
  const auditor = await tokenFor(hotline, 'AUD1', 'Auditor-password')

  const unknownCall = '00000000-0000-4000-8000-00000000a0d1'
  t.equal((await inject('GET', `/v1/calls/${unknownCall}/recording`, admin)).statusCode, 404, 'a recording download of an unknown call')
  t.equal((await inject('GET', `/v1/calls/${unknownCall}/recording`)).statusCode, 401, 'nobody anonymous downloads a recording')
  t.equal((await inject('GET', '/v1/supervisor/actions', agent)).statusCode, 403, "an agent may not read the supervisors' log")
  const ticket = await inject('POST', '/v1/tickets', agent, { callerNumber: '13912340077', categoryCode: 'policy-inquiry', content: '审计测试', resolvedOnCall: true, channel: 'phone', lineNumber: '12345' })
  t.equal(ticket.statusCode, 201, 'a ticket is accepted')
  const ticketId = (ticket.json() as { id: string }).id
  t.equal((await inject('GET', `/v1/tickets/${ticketId}`, agent)).statusCode, 200, 'the agent reads the ticket')

  for (const [who, token] of [['an agent', agent], ['an administrator', admin]] as const) {
    const res = await inject('GET', '/v1/audit', token)
    t.equal(res.statusCode, 403, `${who} may not read the audit log`)
  }
  t.equal((await inject('GET', '/v1/audit')).statusCode, 401, 'nobody anonymous reads it')

  const res = await inject('GET', `/v1/audit?from=${encodeURIComponent(since)}&limit=500`, auditor)
  t.equal(res.statusCode, 200, 'the auditor reads the audit log')
  const rows = res.json() as Row[]
  const find = (action: string, actor: string | null, outcome: string) => rows.find((r) => r.action === action && r.actor === actor && r.outcome === outcome)
  const failed = find('auth.login', 'admin', 'failure')
  t.ok(failed, 'the wrong password is recorded as a failed login of admin')
  t.equal(failed?.ip, '198.51.100.7', 'with the address it came from')
  t.ok(Date.parse(failed?.at ?? '') >= Date.parse(since), 'and when')
  t.ok(find('auth.login', 'nobody-here', 'failure'), 'a login as an unknown user is recorded with the name tried')
  t.ok(find('auth.login', 'admin', 'success'), 'the successful login is recorded')
  t.match(find('user.create', 'admin', 'success'), { target: 'AUD1', actorRole: 'admin', details: { role: 'auditor' } }, 'creating the auditor is recorded: who made whom, with which role')
  t.match(find('recording.download', 'admin', 'failure'), { target: unknownCall, details: { status: 404 } }, "the administrator's recording download is recorded")
  t.match(find('recording.download', null, 'denied'), { target: unknownCall, ip: '198.51.100.7' }, 'the anonymous attempt is recorded as denied, with its address')
  t.match(find('supervision.read-log', 'AU1', 'denied'), { actorRole: 'agent' }, "the agent's refused read is recorded as denied, with who tried")
  t.match(find('ticket.read', 'AU1', 'success'), { target: ticketId, actorRole: 'agent' }, 'reading a ticket is recorded')
  t.ok(find('audit.read', 'admin', 'denied'), "the administrator's attempt on the audit log is itself recorded")
  t.same(rows.map((r) => Number(r.id)), rows.map((r) => Number(r.id)).sort((a, b) => b - a), 'newest first')

  const onlyFailures = (await inject('GET', `/v1/audit?from=${encodeURIComponent(since)}&action=auth.login&outcome=failure`, auditor)).json() as Row[]
  t.ok(onlyFailures.length >= 2 && onlyFailures.every((r) => r.action === 'auth.login' && r.outcome === 'failure'), 'filtered by action and outcome')
  t.equal((await inject('GET', '/v1/audit?outcome=maybe', auditor)).statusCode, 400, 'a bad filter is a 400')

  const csv = await inject('GET', `/v1/audit?from=${encodeURIComponent(since)}&format=csv`, auditor)
  t.equal(csv.statusCode, 200, 'the auditor exports the log')
  t.match(csv.headers['content-type'], /^text\/csv/, 'as CSV')
  t.match(csv.headers['content-disposition'], /attachment; filename="audit\.csv"/, 'as a download')
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n')
  t.equal(lines[0], 'id,at,actor,actorRole,action,target,outcome,ip,details', 'header row')
  t.ok(lines.some((l) => l.includes(',auth.login,') && l.includes(',failure,198.51.100.7,')), 'a failed login is in the export')

  // Append-only, in the database itself: the application's own role (hotline_app, migration 014)
  // has no right to rewrite the trail, and the trigger holds even for the schema's owner.
  const [one] = await hotline.sql<{ id: string }[]>`select id::text from audit_log order by id desc limit 1`
  const [who] = await hotline.sql<{ user: string; superuser: boolean }[]>`select current_user as user, rolsuper as superuser from pg_roles where rolname = current_user`
  t.same(who, { user: 'hotline_app', superuser: false }, 'the server connects as hotline_app, no superuser')
  await t.rejects(hotline.sql`update audit_log set outcome = 'success' where id = ${one!.id}`, /permission denied for table audit_log/, 'an update is refused (no UPDATE right)')
  await t.rejects(hotline.sql`delete from audit_log where id = ${one!.id}`, /permission denied for table audit_log/, 'a delete is refused (no DELETE right)')
  await t.rejects(hotline.sql`truncate audit_log`, /permission denied for table audit_log/, 'truncate is refused')
  await t.rejects(hotline.sql.begin(async (tx) => {
    await tx`select set_config('hotline.audit_purge', 'on', true)`
    await tx`delete from audit_log where at < now() - interval '1 day'`
  }), /permission denied for table audit_log/, 'the purge switch does not help the application either')
  await t.rejects(hotline.sql`alter table audit_log disable trigger audit_log_append_only`, /must be owner/, 'nor can it switch the trigger off')
  await t.rejects(hotline.sql`insert into audit_log (at, actor, action, outcome) values (now() - interval '400 days', 'forger', 'auth.login', 'success')`, /permission denied for table audit_log/, 'nor back-date a row (the time is the database\'s)')
  t.equal((await hotline.sql`select 1 from audit_log where id = ${one!.id}`).length, 1, 'the row is still there')
  const owner = ownerSql(t)
  await t.rejects(owner`delete from audit_log where id = ${one!.id}`, /append-only/, 'the owner\'s delete is refused by the trigger')
  await t.rejects(owner.begin(async (tx) => {
    await tx`select set_config('hotline.audit_purge', 'on', true)`
    await tx`delete from audit_log where id = ${one!.id}`
  }), /append-only/, 'even the purge switch cannot delete a row younger than 180 days')

  // Retention: rows past the retention go, younger ones stay (the old rows are made by the owner).
  const [old] = await owner<{ id: string }[]>`insert into audit_log (at, actor, action, outcome) values (now() - interval '400 days', 'old-actor', 'auth.login', 'success') returning id::text`
  const [kept] = await owner<{ id: string }[]>`insert into audit_log (at, actor, action, outcome) values (now() - interval '200 days', 'kept-actor', 'auth.login', 'success') returning id::text`
  t.ok((await hotline.audit.purge()) >= 1, 'the purge removed something')
  t.equal((await hotline.sql`select 1 from audit_log where id = ${old!.id}`).length, 0, 'a 400-day-old row is purged (retention 365 days)')
  t.equal((await hotline.sql`select 1 from audit_log where id = ${kept!.id}`).length, 1, 'a 200-day-old row is kept')
  t.ok((await hotline.sql`select 1 from audit_log where action = 'audit.purge' and details->>'removed' is not null`).length > 0, 'the purge is itself recorded')

  // A ticket's trail outlives the ticket.
  await hotline.sql`delete from tickets where id = ${ticketId}`
  const trail = await hotline.sql`select action from ticket_events where ticket_id = ${ticketId}`
  t.ok(trail.length >= 1, 'deleting a ticket keeps its audit trail')
})

t.test('the audit retention cannot be set below six months', async (t) => {
  t.throws(() => loadConfig({ ...serviceEnv(), HOTLINE_AUDIT_RETENTION_DAYS: '30' }), /HOTLINE_AUDIT_RETENTION_DAYS must be >= 180/, '30 days is refused at start-up')
  t.equal(loadConfig({ ...serviceEnv() }).HOTLINE_AUDIT_RETENTION_DAYS, 365, 'a year by default')
})
