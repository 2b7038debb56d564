/**
 * Serves the agent panel (softphone/) and its two browser libraries: JsSIP, bundled from the
 * jssip package on first request (its npm package is CommonJS only), and the Socket.IO client,
 * which the Socket.IO server itself serves at /socket.io/socket.io.esm.min.js. No build step:
 * `npm start` and the tests serve the same files.
 */
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import type { SeatService } from '../seats/service.ts'
import type { AgentService } from '../agents/service.ts'
import { offeredSeats } from './rules.ts'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { ErrorBody } from '../http/errors.ts'

export const SOFTPHONE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../softphone')
/** Code the three pages share (login, API calls, socket, formatting, translation lookup): /shared/. */
export const SHARED_PAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/shared')

const OfferedSeatSchema = Type.Object({ seat: Type.String(), free: Type.Boolean(), via: Type.Union([Type.Literal('agent'), Type.Literal('workstation')]) })

let jssipBundle: Promise<string> | undefined

/** esbuild bundles JsSIP to one IIFE exposing `window.JsSIP` (about 70 ms, once per process). */
function bundleJssip(): Promise<string> {
  jssipBundle ??= (async () => {
    const esbuild = await import('esbuild')
    const entry = createRequire(import.meta.url).resolve('jssip')
    const out = await esbuild.build({ entryPoints: [entry], bundle: true, format: 'iife', globalName: 'JsSIP', minify: true, write: false, platform: 'browser', logLevel: 'silent' })
    return out.outputFiles[0]!.text
  })()
  jssipBundle.catch(() => { jssipBundle = undefined })
  return jssipBundle
}

export function softphoneRoutes(deps: { seats: SeatService; agents: AgentService }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    // The panel's seat list: read-only, from the seat assignments (GET /v1/seats is the
    // administrators' view of all of them) and the live sign-ins.
    app.get('/v1/agents/me/web-seats', {
      preHandler: requireRole('agent'),
      schema: {
        tags: ['agents'], security: bearerSecurity,
        summary: 'The WebRTC seats this agent may sign in to from this browser (assigned to them or to this workstation), each free or taken',
        response: { 200: Type.Array(OfferedSeatSchema), 401: ErrorBody, 403: ErrorBody }
      }
    }, async (request) => offeredSeats(await deps.seats.list(), await deps.agents.listSignedIn(), request.user.sub, request.ip))
    // Static files log at warn: an info line per asset request would bury the server's own lines.
    await app.register(fastifyStatic, { root: SOFTPHONE_DIR, prefix: '/softphone/', index: ['index.html'], logLevel: 'warn' })
    await app.register(fastifyStatic, { root: SHARED_PAGE_DIR, prefix: '/shared/', decorateReply: false, logLevel: 'warn' })
    app.get('/softphone/vendor/jssip.js', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
      reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600')
      return bundleJssip()
    })
    app.get('/', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => reply.redirect('/softphone/'))
  }
}
