/**
 * The pages' translation tables (agent panel, wallboard, dialer, and the shared error texts):
 * English has every Chinese key and no extra one, and every data-i18n key a page's HTML uses is
 * in its table. Reads the files; the tables are plain object literals, evaluated here alone.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { DEFAULT_NOT_READY_REASONS, SYSTEM_REASONS } from '../../../src/agents/model.ts'
import { REPO } from '../../helpers/services.ts'

type Texts = Record<'zh-CN' | 'en', Record<string, string>>
function table(file: string, name: string): Texts {
  const src = readFileSync(path.join(REPO, file), 'utf8')
  const start = src.indexOf(`${name} = {`)
  const end = src.indexOf('\n}\n', start)
  t.ok(start > 0 && end > start, `${file} has its ${name} table`)
  return new Function(`return ${src.slice(start + name.length + 3, end + 2)}`)() as Texts
}
const shared = table('public/shared/i18n.js', 'SHARED')
const pages = [
  { name: 'agent panel', texts: table('softphone/i18n.js', 'TEXTS'), html: 'softphone/index.html' },
  { name: 'wallboard', texts: table('public/wallboard/texts.js', 'TEXTS'), html: 'public/wallboard/index.html' },
  { name: 'dialer', texts: table('public/dialer/texts.js', 'TEXTS'), html: 'public/dialer/index.html' }
]

for (const { name, texts, html } of [...pages, { name: 'shared error texts', texts: shared, html: null }]) {
  t.test(`${name}: English is complete`, async (t) => {
    const zh = Object.keys(texts['zh-CN']).sort()
    const en = Object.keys(texts.en).sort()
    t.same(zh.filter((k) => !en.includes(k)), [], 'no Chinese key without English')
    t.same(en.filter((k) => !zh.includes(k)), [], 'no English key without Chinese')
    t.ok(Object.values(texts.en).every((s) => !/[\u3400-\u9fff]/.test(s)), 'no Chinese inside the English texts')
    if (!html) return
    const keys = [...readFileSync(path.join(REPO, html), 'utf8').matchAll(/data-i18n(?:-ph|-title)?="([^"]+)"/g)].map((m) => m[1]!)
    t.same([...new Set(keys)].filter((k) => !(k in texts['zh-CN']) && !(k in shared['zh-CN'])), [], `every key ${html} uses is in the table`)
  })
}

// A not-ready reason the system sets (the rejoin limit's no-audio among them) must read as words
// on the panel and the wallboard, not as its code.
t.test('the panel and the wallboard translate every not-ready reason, the system\'s too', async (t) => {
  for (const { name, texts } of pages.filter((p) => p.name !== 'dialer')) {
    for (const reason of [...DEFAULT_NOT_READY_REASONS, ...Object.values(SYSTEM_REASONS)]) {
      t.ok(texts['zh-CN'][`reason.${reason}`] && texts.en[`reason.${reason}`], `${name}: reason.${reason} in Chinese and English`)
    }
  }
})
