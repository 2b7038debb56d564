#!/usr/bin/env node
// Build the server into plain JavaScript: dist/server/main.js (the process entry) and
// dist/server/cli.js (bin/hotline.js), one ESM bundle each with esbuild, npm packages left as
// imports of node_modules. Production starts from these files: no TypeScript is compiled at run
// time (tsx stays for tests and benches that import src/ directly).
//
//   node scripts/build.mjs            ~0.3 s; `npm start`, `npm test` and the benches run it first
//
// The bundles sit two folders below the repository (dist/server/), like every src/<folder>/*.ts,
// so the paths the sources resolve from import.meta.url ('../../migrations', '../../public/…')
// point at the same folders from the bundle. Type checking is `npm run typecheck` (tsc), not this.
import { build } from 'esbuild'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outdir = path.join(repo, 'dist', 'server')
const t0 = performance.now()
mkdirSync(outdir, { recursive: true })
const result = await build({
  absWorkingDir: repo,
  entryPoints: { main: 'src/main.ts', cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true
})
writeFileSync(path.join(outdir, 'package.json'), '{ "type": "module" }\n')
const bytes = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js')).reduce((n, [, o]) => n + o.bytes, 0)
process.stdout.write(`built dist/server (main.js, cli.js: ${(bytes / 1024).toFixed(0)} kB) in ${Math.round(performance.now() - t0)} ms\n`)
