/**
 * Serves the agent panel (softphone/) and its two browser libraries: JsSIP, bundled from the
 * jssip package on first request (its npm package is CommonJS only), and the Socket.IO client,
 * which the Socket.IO server itself serves at /socket.io/socket.io.esm.min.js. No build step:
 * `npm start` and the tests serve the same files.
 */
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

export const SOFTPHONE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../softphone')

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

export function softphoneRoutes(): FastifyPluginAsync {
  return async (app) => {
    // Static files log at warn: an info line per asset request would bury the server's own lines.
    await app.register(fastifyStatic, { root: SOFTPHONE_DIR, prefix: '/softphone/', index: ['index.html'], logLevel: 'warn' })
    app.get('/softphone/vendor/jssip.js', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
      reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600')
      return bundleJssip()
    })
    app.get('/', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => reply.redirect('/softphone/'))
  }
}
