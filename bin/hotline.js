#!/usr/bin/env node
// `hotline <command>` (serve | migrate | check-config): runs the built JavaScript in dist/server
// (`npm run build`, which `npm start` and `npm test` run first): no TypeScript is compiled when
// the process starts.
//
// On a machine set up by `npm start`, the same local settings it uses are read here too: the
// services' addresses and the generated secrets in $HOTLINE_STATE_DIR/services.env (default
// .hotline/, written by scripts/services.sh start), so `node bin/hotline.js check-config` checks
// what `npm start` runs with. Variables set in the environment win; without that file (a
// container, a deployment) only the environment counts.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const localSettings = path.join(process.env.HOTLINE_STATE_DIR ?? path.join(repo, '.hotline'), 'services.env')
if (existsSync(localSettings)) {
  for (const line of readFileSync(localSettings, 'utf8').split('\n')) {
    const m = /^export ([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (m && process.env[m[1]] === undefined) process.env[m[1]] = m[2].replace(/^'(.*)'$/, '$1')
  }
}

const cli = path.join(repo, 'dist', 'server', 'cli.js')
if (!existsSync(cli)) {
  process.stderr.write(`hotline: ${path.relative(process.cwd(), cli) || cli} is missing: build the server first (npm run build)\n`)
  process.exit(2)
}
process.setSourceMapsEnabled(true)
await import(pathToFileURL(cli).href)
