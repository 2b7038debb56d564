/** test/sipp/README.md names every {{PLACEHOLDER}} each scenario needs (file reading only). */
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { REPO } from '../../helpers/services.ts'

const dir = path.join(REPO, 'test/sipp')
const readme = readFileSync(path.join(dir, 'README.md'), 'utf8')
for (const file of readdirSync(dir).filter((f) => f.endsWith('.xml'))) {
  const placeholders = [...new Set([...readFileSync(path.join(dir, file), 'utf8').matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]!))]
  const row = readme.split('\n').find((l) => l.startsWith(`| \`${file}\``))
  t.ok(row, `${file} has a row in the README`)
  for (const p of placeholders) t.match(row ?? '', `\`${p}\``, `${file}: ${p} is documented`)
}
