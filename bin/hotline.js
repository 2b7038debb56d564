#!/usr/bin/env node
// `hotline <command>` (serve | migrate | check-config): runs the TypeScript sources directly
// through tsx's loader (no separate build step).
//
// On a machine set up by `npm start`, the same local settings it uses are read here too: the
// services' addresses and the generated secrets in $HOTLINE_STATE_DIR/services.env (default
// .hotline/, written by scripts/services.sh start), so `node bin/hotline.js check-config` checks
// what `npm start` runs with. Variables set in the environment win; without that file (a
// container, a deployment) only the environment counts.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const localSettings = path.join(process.env.HOTLINE_STATE_DIR ?? path.join(repo, '.hotline'), 'services.env')
if (existsSync(localSettings)) {
  for (const line of readFileSync(localSettings, 'utf8').split('\n')) {
    const m = /^export ([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (m && process.env[m[1]] === undefined) process.env[m[1]] = m[2].replace(/^'(.*)'$/, '$1')
  }
}

register()
await import('../src/cli.ts')
