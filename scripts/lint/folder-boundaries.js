// ESLint rule `hotline/folder-boundaries`: the layering of src/, checked on every import.
//   - Each folder of src/ is a unit (a capability such as calls/ or tickets/, or a kernel part).
//   - No folder cycles: an import A → B is refused when B (through any chain of imports) already
//     reaches A. A cycle ties two capabilities into one that can only change together.
//   - The kernel (domain/, db/, redis/, pbx/, config.ts and the realtime contract) imports no
//     capability: it is what capabilities are built on.
//   - Nothing imports the composition root (app.ts, main.ts, serve.ts, cli.ts).
// realtime/contract.ts is a leaf shared by server and pages (it imports nothing of ours), so it
// counts as a unit of its own, not as part of realtime/.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src')
const KERNEL = new Set(['domain', 'db', 'redis', 'pbx', 'config', 'contract'])
const COMPOSITION = new Set(['app.ts', 'main.ts', 'serve.ts', 'cli.ts'])
/**
 * Cycles named and accepted for now, each with its reason; the rule refuses every other one.
 * auth ↔ audit: logins are audited (auth/routes.ts) and the audit routes check the caller's
 * claims (auth/plugin.ts types). Owned by the security work; to be cut by a port.
 */
const ACCEPTED_CYCLES = [['auth', 'audit']]

function unitOf(file) {
  const rel = path.relative(SRC, file)
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null
  const parts = rel.split(path.sep)
  if (rel === path.join('realtime', 'contract.ts')) return 'contract'
  if (parts.length === 1) return COMPOSITION.has(parts[0]) ? 'root' : parts[0].replace(/\.ts$/, '')
  return parts[0]
}

let graph = null
function folderGraph() {
  if (graph) return graph
  graph = new Map()
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith('.ts')) {
        const from = unitOf(full)
        for (const m of fs.readFileSync(full, 'utf8').matchAll(/\bfrom\s+'(\.[^']+)'/g)) {
          const to = unitOf(path.resolve(path.dirname(full), m[1]))
          if (!to || to === from) continue
          if (!graph.has(from)) graph.set(from, new Set())
          graph.get(from).add(to)
        }
      }
    }
  }
  walk(SRC)
  return graph
}

/** A path of units from `a` to `b`, or null. */
function pathBetween(a, b) {
  const g = folderGraph()
  const seen = new Set([a])
  const queue = [[a]]
  while (queue.length > 0) {
    const trail = queue.shift()
    for (const next of g.get(trail.at(-1)) ?? []) {
      if (next === b) return [...trail, next]
      if (!seen.has(next)) { seen.add(next); queue.push([...trail, next]) }
    }
  }
  return null
}

const accepted = (a, b) => ACCEPTED_CYCLES.some(([x, y]) => (x === a && y === b) || (x === b && y === a))

export const folderBoundaries = {
  meta: { type: 'problem', docs: { description: 'src/ folders form layers: no folder cycles, no kernel → capability imports' }, schema: [] },
  create(context) {
    const from = unitOf(context.filename)
    if (!from) return {}
    const check = (node) => {
      const spec = node.source?.value
      if (typeof spec !== 'string' || !spec.startsWith('.')) return
      const to = unitOf(path.resolve(path.dirname(context.filename), spec))
      if (!to || to === from) return
      if (to === 'root') return context.report({ node, message: `nothing imports the composition root (${spec})` })
      if (from === 'root') return
      if (KERNEL.has(from) && !KERNEL.has(to)) return context.report({ node, message: `${from}/ is kernel and may not import the capability ${to}/` })
      const back = pathBetween(to, from)
      if (back && !accepted(from, to)) context.report({ node, message: `folder cycle: ${[from, ...back].join(' → ')}; move the shared part down (domain/, a port) instead` })
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check }
  }
}
