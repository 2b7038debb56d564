/**
 * Follow-up control over REST: campaigns (run, pause, windows, retries), trunk limits, today's
 * progress and the coverage (回访率) per line and day, as JSON or CSV; the time agreed with a
 * caller for their follow-up. Supervisors and admins only.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import { auditContext, type AuditLog } from '../audit/index.ts'
import { AuthErrors, bearerSecurity, requireRole } from '../auth/plugin.ts'
import { dialTemplateProblem } from '../number-plan/rules.ts'
import { toCsv } from '../domain/csv.ts'
import type { TicketService } from '../tickets/service.ts'
import type { Campaign } from './model.ts'
import type { Trunk } from '../dialer/model.ts'
import { campaignForLine } from './rules.ts'
import { isWithinWindows, nextWindowOpening, windowsProblem } from '../dialer/rules.ts'
import { dayRange as localDayRange, localDay } from '../domain/local-time.ts'
import type { FollowUpStore } from './store.ts'
import { ErrorBodyWithDetails } from '../http/errors.ts'
import { DialerErrors } from '../dialer/errors.ts'

export const FollowUpErrors = DialerErrors

const ErrorBody = ErrorBodyWithDetails
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])
const Enum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] })

const Window = Type.Object({ from: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' }), to: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' }) }, { additionalProperties: false })
const CampaignId = Type.String({ pattern: '^[a-z0-9_-]{1,40}$' })
const TrunkId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' })
const CampaignBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  lineNumber: Type.Optional(Nullable(Type.String({ pattern: '^[0-9+*#]{2,32}$' }))),
  mode: Type.Optional(Enum(['survey', 'agent'] as const)),
  state: Type.Optional(Enum(['running', 'paused'] as const)),
  trunkId: Type.Optional(TrunkId),
  windows: Type.Optional(Type.Array(Window, { minItems: 1, maxItems: 6 })),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  retryMinutes: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 10080 }), { minItems: 1, maxItems: 10 })),
  ringSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 120 })),
  agentQueueId: Type.Optional(Nullable(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' })))
}, { additionalProperties: false })
const CampaignView = Type.Object({
  id: Type.String(), name: Type.String(), lineNumber: Nullable(Type.String()), mode: Type.String(), state: Type.String(), trunkId: Type.String(),
  windows: Type.Array(Window), maxAttempts: Type.Integer(), retryMinutes: Type.Array(Type.Integer()), ringSeconds: Type.Integer(), agentQueueId: Nullable(Type.String())
})
const TrunkBody = Type.Object({
  maxConcurrent: Type.Integer({ minimum: 1, maximum: 1000 }),
  callsPerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 200 }),
  dialTemplate: Type.Optional(Type.String({ minLength: 3, maxLength: 200, pattern: '\\{number\\}' }))
}, { additionalProperties: false })
const TrunkView = Type.Object({ id: Type.String(), maxConcurrent: Type.Integer(), callsPerSecond: Type.Number(), dialTemplate: Type.String() })
const Day = Type.String({ format: 'date' })
const Format = Enum(['json', 'csv'] as const)

export const PROGRESS_COLUMNS = ['day', 'campaignId', 'due', 'inProgress', 'dialled', 'answered', 'satisfied', 'basicallySatisfied', 'unsatisfied', 'unreachable', 'done'] as const
export const COVERAGE_COLUMNS = ['day', 'lineNumber', 'closed', 'followedUp', 'unreachable', 'pending', 'cancelled', 'coverage'] as const

const DAY_MS = 86_400_000

export function followUpRoutes(deps: { store: FollowUpStore; tickets: TicketService; audit: AuditLog; pbxTrunks: readonly string[]; timeZone: string; now: () => number; onChange?: () => void }): FastifyPluginAsync {
  const { store } = deps
  /** [start, end) of a day in the center's zone. */
  const dayRange = (day: string): [number, number] => localDayRange(day, deps.timeZone)
  const today = () => localDay(deps.now(), deps.timeZone)
  const csv = (reply: FastifyReply, name: string, columns: readonly string[], rows: Record<string, unknown>[]) => reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .serializer((payload: unknown) => payload as string)
    .send(toCsv(columns, rows) as never)
  const wantsCsv = (request: FastifyRequest, format?: string) => format === 'csv' || (format === undefined && /^text\/csv/.test(request.headers.accept ?? ''))

  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const guard = requireRole('supervisor', 'admin')
    // A change to campaigns or trunks reaches the dialer at once (it caches them for a second).
    app.addHook('onResponse', async (request, reply) => {
      if (request.method !== 'GET' && reply.statusCode < 300 && request.url.startsWith('/v1/follow-ups/')) deps.onChange?.()
    })

    app.get('/v1/follow-ups/campaigns', {
      preHandler: guard,
      schema: { tags: ['follow-ups'], security: bearerSecurity, summary: 'Follow-up campaigns with their state, windows and retry rules', response: { 200: Type.Array(CampaignView), ...errors } }
    }, async () => store.campaigns())

    app.put('/v1/follow-ups/campaigns/:id', {
      preHandler: guard,
      schema: {
        tags: ['follow-ups'], security: bearerSecurity, summary: 'Create or change a campaign (one per line; "default" covers the other lines)',
        params: Type.Object({ id: CampaignId }), body: CampaignBody, response: { 200: CampaignView, ...errors }
      }
    }, async (request) => {
      const { id } = request.params
      const body = request.body
      const current = await store.campaign(id)
      const lineNumber = id === 'default' ? null : body.lineNumber ?? current?.lineNumber ?? null
      if (id !== 'default' && lineNumber === null) throw new FollowUpErrors.invalid('body.lineNumber: a campaign other than "default" belongs to a line')
      const next: Campaign = {
        id, name: body.name, lineNumber, mode: body.mode ?? current?.mode ?? 'survey', state: body.state ?? current?.state ?? 'running',
        trunkId: body.trunkId ?? current?.trunkId ?? 'trunk', windows: body.windows ?? current?.windows ?? [{ from: '08:30', to: '12:00' }, { from: '14:00', to: '20:30' }],
        maxAttempts: body.maxAttempts ?? current?.maxAttempts ?? 3, retryMinutes: body.retryMinutes ?? current?.retryMinutes ?? [30, 120],
        ringSeconds: body.ringSeconds ?? current?.ringSeconds ?? 30, agentQueueId: body.agentQueueId !== undefined ? body.agentQueueId : current?.agentQueueId ?? null
      }
      const problem = windowsProblem(next.windows)
      if (problem) throw new FollowUpErrors.invalid(`body.windows: ${problem}`)
      if (next.mode === 'agent' && !next.agentQueueId) throw new FollowUpErrors.invalid('body.agentQueueId: an agent campaign needs the queue its calls go to')
      if (next.agentQueueId && !(await store.queueExists(next.agentQueueId))) throw new FollowUpErrors.invalid(`body.agentQueueId: no queue '${next.agentQueueId}'`)
      if (!(await store.trunks()).some((t) => t.id === next.trunkId)) throw new FollowUpErrors.invalid(`body.trunkId: no dialer trunk '${next.trunkId}'`)
      try {
        await store.saveCampaign(next)
      } catch (err) {
        const e = err as { code?: string; constraint_name?: string }
        if (e.code === '23503') throw new FollowUpErrors.invalid(`body.${e.constraint_name?.includes('line') ? 'lineNumber' : 'agentQueueId'}: no such ${e.constraint_name?.includes('line') ? 'line' : 'queue'}`)
        if (e.code === '23505') throw new FollowUpErrors.conflict(`body.lineNumber: line ${lineNumber} already has a campaign`)
        throw err
      }
      return (await store.campaign(id))!
    })

    for (const action of ['run', 'pause'] as const) {
      app.post(`/v1/follow-ups/campaigns/:id/${action}`, {
        preHandler: guard,
        schema: { tags: ['follow-ups'], security: bearerSecurity, summary: action === 'run' ? 'Run a campaign' : 'Pause a campaign (calls in progress finish)', params: Type.Object({ id: CampaignId }), response: { 200: CampaignView, ...errors } }
      }, async (request) => {
        const current = await store.campaign(request.params.id)
        if (!current) throw new FollowUpErrors.notFound(`no campaign '${request.params.id}'`)
        await store.saveCampaign({ ...current, state: action === 'run' ? 'running' : 'paused' })
        request.log.info({ campaign: current.id, action, actor: request.user.sub }, 'follow-up campaign state changed')
        return (await store.campaign(current.id))!
      })
    }

    app.get('/v1/follow-ups/trunks', {
      preHandler: guard,
      schema: { tags: ['follow-ups'], security: bearerSecurity, summary: 'Dialer trunks and their limits', response: { 200: Type.Array(TrunkView), ...errors } }
    }, async () => store.trunks())

    // Supervisors set the limits; the dial template is the administrators' alone: it decides where
    // every follow-up and callback goes (toll fraud), so it has a fixed shape naming a PBX trunk,
    // and each change or refusal of it is audited.
    app.put('/v1/follow-ups/trunks/:id', {
      preHandler: requireRole('admin', 'supervisor'),
      schema: {
        tags: ['follow-ups'], security: bearerSecurity, params: Type.Object({ id: TrunkId }), body: TrunkBody, response: { 200: TrunkView, ...errors },
        summary: "Set a trunk's limits (supervisors, admins) and dial template (admins only: PJSIP/{number}@<trunk> or PJSIP/<trunk>/sip:{number}@<host>[:port]; audited)"
      }
    }, async (request) => {
      const current = (await store.trunks()).find((t) => t.id === request.params.id)
      const next: Trunk = { id: request.params.id, maxConcurrent: request.body.maxConcurrent, callsPerSecond: request.body.callsPerSecond, dialTemplate: request.body.dialTemplate ?? current?.dialTemplate ?? 'PJSIP/{number}@{trunk}' }
      if (next.dialTemplate !== current?.dialTemplate && request.user.role !== 'admin') {
        await deps.audit.record({ ...auditContext(request), action: 'dialer.trunk-template', target: next.id, outcome: 'denied', details: { refused: next.dialTemplate, reason: 'not an administrator' } })
        throw new AuthErrors.forbidden('only an administrator may change a dial template')
      }
      const problem = dialTemplateProblem(next.dialTemplate, next.id, deps.pbxTrunks)
      if (problem) {
        await deps.audit.record({ ...auditContext(request), action: 'dialer.trunk-template', target: next.id, outcome: 'denied', details: { refused: next.dialTemplate, reason: problem } })
        throw new FollowUpErrors.invalid(`body.dialTemplate: ${problem}`)
      }
      await store.saveTrunk(next)
      if (next.dialTemplate !== current?.dialTemplate) {
        await deps.audit.record({ ...auditContext(request), action: 'dialer.trunk-template', target: next.id, outcome: 'success', details: { before: current?.dialTemplate ?? null, after: next.dialTemplate } })
      }
      return (await store.trunks()).find((t) => t.id === next.id)!
    })

    app.get('/v1/follow-ups/progress', {
      preHandler: guard,
      schema: {
        tags: ['follow-ups'], security: bearerSecurity, summary: 'A day\'s progress per campaign: due, dialled, answered, satisfied / basically satisfied / unsatisfied, unreachable',
        querystring: Type.Object({ day: Type.Optional(Day), format: Type.Optional(Format) }, { additionalProperties: false })
      }
    }, async (request, reply) => {
      const day = request.query.day ?? today()
      const [from, to] = dayRange(day)
      const rows = (await store.progress(from, Math.min(to, from + DAY_MS + 3_600_000))).map((r) => ({ day, ...r }))
      if (wantsCsv(request, request.query.format)) return csv(reply, `follow-up-progress-${day}`, PROGRESS_COLUMNS, rows)
      return { day, timeZone: deps.timeZone, rows }
    })

    app.get('/v1/follow-ups/coverage', {
      preHandler: guard,
      schema: {
        tags: ['follow-ups'], security: bearerSecurity, summary: 'Follow-up coverage (回访率) per line and day: followed up / closed',
        querystring: Type.Object({ from: Day, to: Day, format: Type.Optional(Format) }, { additionalProperties: false })
      }
    }, async (request, reply) => {
      const { from, to } = request.query
      if (from > to) throw new FollowUpErrors.invalid(`querystring.from: ${from} is after querystring.to ${to}`)
      const rows = (await store.coverage(dayRange(from)[0], dayRange(to)[1], deps.timeZone)).map((r) => ({ ...r, coverage: r.closed > 0 ? Math.round((r.followedUp / r.closed) * 10000) / 10000 : null }))
      if (wantsCsv(request, request.query.format)) return csv(reply, `follow-up-coverage-${from}-${to}`, COVERAGE_COLUMNS, rows)
      return { from, to, timeZone: deps.timeZone, rows }
    })

    app.post('/v1/tickets/:id/follow-up/agreed-time', {
      preHandler: requireRole('agent', 'supervisor', 'admin'),
      schema: {
        tags: ['follow-ups'], security: bearerSecurity, summary: 'Record the time agreed with the caller for the follow-up call (约定回访时间)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }), body: Type.Object({ at: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ ticketId: Type.String(), agreedAt: Type.String() }), ...errors }
      }
    }, async (request) => {
      const at = Date.parse(request.body.at)
      if (at < deps.now() - 60_000) throw new FollowUpErrors.invalid('body.at: the agreed time is in the past')
      const ticket = await deps.tickets.get(request.params.id, { id: request.user.sub, role: request.user.role, unitId: null })
      // 约定回访时间 within the calling windows only (issue 12, finding 7): no citizen is called at
      // night because someone typed a time; and every agreed time is in the audit log.
      const campaign = campaignForLine(await store.campaigns(), ticket.lineNumber)
      const audit = (outcome: 'success' | 'failure', details: Record<string, unknown>) =>
        deps.audit.record({ ...auditContext(request), action: 'follow-up.agreed-time', target: ticket.id, outcome, details: { at: new Date(at).toISOString(), ...details } })
      if (campaign && !isWithinWindows(at, campaign.windows, deps.timeZone)) {
        await audit('failure', { reason: 'outside the calling windows', campaignId: campaign.id })
        throw new FollowUpErrors.invalid(`body.at: outside the calling windows of campaign '${campaign.id}' (${campaign.windows.map((w) => `${w.from}-${w.to}`).join(', ')}); the next opening is ${new Date(nextWindowOpening(at, campaign.windows, deps.timeZone)).toISOString()}`)
      }
      if (!(await store.agreeTime(ticket.id, at, deps.now()))) throw new FollowUpErrors.conflict(`ticket ${ticket.number} has no follow-up waiting to be dialled`)
      await audit('success', { campaignId: campaign?.id ?? null })
      return { ticketId: ticket.id, agreedAt: new Date(at).toISOString() }
    })
  }
}
