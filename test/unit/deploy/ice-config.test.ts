/**
 * The ICE candidates Asterisk offers browsers (issue 14: audio on one machine): rtp.conf includes
 * the generated rtp_ice.conf, which has no ACL by default (every address of the machine, so a
 * browser on the same machine reaches one) and denies all but HOTLINE_ICE_PERMIT when that is set.
 * Runs the renderer into a temporary folder; no services.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { REPO } from '../../helpers/services.ts'

function render(t: Test, env: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-render-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOTLINE_')))
  const run = spawnSync(process.execPath, [path.join(REPO, 'scripts/render-pbx-config.mjs'), dir], {
    env: { ...base, HOTLINE_ARI_PASSWORD: 'x', HOTLINE_SEAT_SECRET: 'y', ...env }, encoding: 'utf8'
  })
  return { run, file: (f: string) => readFileSync(path.join(dir, f), 'utf8') }
}

t.test('by default every address of the machine is an ICE candidate', async (t) => {
  const { run, file } = render(t, {})
  t.equal(run.status, 0, run.stderr)
  t.match(file('rtp.conf'), /^#include rtp_ice\.conf$/m, 'rtp.conf includes the generated ACL')
  t.notMatch(file('rtp_ice.conf'), /^ice_(deny|permit)/m, 'no ACL: nothing denied')
  t.notMatch(file('rtp.conf'), /^ice_(deny|permit)/m, 'and none in rtp.conf itself')
  t.match(file('rtp.conf'), /^192\.0\.2\.77 => 127\.0\.0\.1$/m, 'the test namespace placeholder is still mapped to loopback')
})

t.test('HOTLINE_ICE_PERMIT denies all but its networks', async (t) => {
  const { run, file } = render(t, { HOTLINE_ICE_PERMIT: '10.1.0.0/16, 192.168.5.7' })
  t.equal(run.status, 0, run.stderr)
  t.same(file('rtp_ice.conf').split('\n').filter((l) => l.startsWith('ice_')),
    ['ice_deny = 0.0.0.0/0', 'ice_deny = ::/0', 'ice_permit = 10.1.0.0/16', 'ice_permit = 192.168.5.7'])
})

t.test('a bad address is refused by name', async (t) => {
  const { run } = render(t, { HOTLINE_ICE_PERMIT: '10.1.0.0/16,example.org' })
  t.equal(run.status, 1)
  t.match(run.stderr, 'HOTLINE_ICE_PERMIT: bad address "example.org"')
})
