/**
 * /metrics answers the Prometheus scraper only: `Authorization: Bearer <HOTLINE_METRICS_TOKEN>`.
 * Without the setting nobody gets the figures (403 names the setting); a missing or wrong token
 * is a 401 that shows nothing. Fastify with just the health routes, no services.
 */
import Fastify from 'fastify'
import t from 'tap'
import { healthRoutes } from '../../../src/http/health.ts'
import { createMetrics } from '../../../src/http/metrics.ts'

const TOKEN = 'scraper-token-0123456789abcdef0123456789'

async function app(metricsToken?: string) {
  const app = Fastify()
  await app.register(healthRoutes({ probes: {}, metrics: createMetrics(), metricsToken }))
  return app
}
const scrape = (a: Awaited<ReturnType<typeof app>>, authorization?: string) =>
  a.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} })

t.test('with HOTLINE_METRICS_TOKEN: only that bearer token', async (t) => {
  const a = await app(TOKEN)
  t.teardown(() => a.close())
  const ok = await scrape(a, `Bearer ${TOKEN}`)
  t.equal(ok.statusCode, 200)
  t.match(ok.body, /# TYPE hotline_calls_offered_total counter/)
  for (const [header, why] of [[undefined, 'no header'], [`Bearer ${TOKEN}x`, 'a longer token'], [`Bearer ${TOKEN.slice(0, -1)}`, 'a shorter one'], [`Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, 'basic auth'], [TOKEN, 'no scheme']] as const) {
    const res = await scrape(a, header)
    t.equal(res.statusCode, 401, `${why}: 401`)
    t.notMatch(res.body, /hotline_/, `${why}: no figures`)
  }
  t.equal((await a.inject({ method: 'GET', url: '/health' })).statusCode, 200, '/health stays public')
})

t.test('without the setting: nobody', async (t) => {
  const a = await app(undefined)
  t.teardown(() => a.close())
  t.equal((await scrape(a)).statusCode, 401, 'no token: 401')
  const res = await scrape(a, `Bearer ${TOKEN}`)
  t.equal(res.statusCode, 403, 'any token: 403')
  t.match(res.json(), { code: 'HOTLINE_METRICS_OFF', message: /HOTLINE_METRICS_TOKEN/ }, 'the answer names the setting')
})
