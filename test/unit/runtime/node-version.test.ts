/**
 * The suite runs on the Node the project declares (package.json engines: Node 24, the LTS):
 * scripts/test.sh switches to the runtime setup.sh provides when the machine's node is older.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }

t.test('the tests run on the Node major that package.json requires', async (t) => {
  const required = Number(/^>=(\d+)$/.exec(pkg.engines.node)?.[1])
  t.equal(required, 24, 'engines.node is ">=24"')
  t.ok(Number(process.versions.node.split('.')[0]) >= required, `node ${process.versions.node} satisfies ${pkg.engines.node}`)
})

t.test("ari-client's `request` is the local reachability probe, not the deprecated package", async (t) => {
  const { createRequire } = await import('node:module')
  const fromAriClient = createRequire(createRequire(import.meta.url).resolve('ari-client'))
  const probe = JSON.parse(readFileSync(fromAriClient.resolve('request/package.json'), 'utf8')) as { name: string }
  t.equal(probe.name, 'ari-reachability-probe')
  t.throws(() => fromAriClient.resolve('tough-cookie'), 'tough-cookie is not installed')
  t.throws(() => fromAriClient.resolve('form-data'), 'form-data is not installed')
})

t.test('the probe answers as ari-client reads it: a response, or the error code of an unreachable host', async (t) => {
  const { createRequire } = await import('node:module')
  const http = await import('node:http')
  const probe = createRequire(import.meta.url)('request') as (url: string, cb: (err: NodeJS.ErrnoException | null, res?: { statusCode?: number }) => void) => void
  const server = http.createServer((_req, res) => { res.writeHead(404); res.end('no api-docs here') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const call = (url: string) => new Promise<{ err: NodeJS.ErrnoException | null; status?: number }>((resolve) => probe(url, (err, res) => resolve({ err, status: res?.statusCode })))
  const up = await call(`http://127.0.0.1:${port}/ari/api-docs/resources.json`)
  t.equal(up.err, null)
  t.equal(up.status, 404)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const down = await call(`http://127.0.0.1:${port}/ari/api-docs/resources.json`)
  t.equal(down.err?.code, 'ECONNREFUSED', 'ari-client reports HostIsNotReachable for this code')
})
