/**
 * SIP-TLS and SRTP for desk seats (issue 12 finding 10): with the operator's certificate and key,
 * the renderer copies both into the PBX's own keys folder (Asterisk runs in its own root), binds a
 * TLS transport, and desk seats use it with SDES-SRTP required; without them nothing changes.
 * Runs the renderer into a temporary folder with a throwaway certificate from openssl; no services.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { REPO } from '../../helpers/services.ts'

function scratch(t: Test, prefix: string) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function render(t: Test, env: Record<string, string>) {
  const dir = scratch(t, 'hotline-render-')
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOTLINE_')))
  const run = spawnSync(process.execPath, [path.join(REPO, 'scripts/render-pbx-config.mjs'), dir], {
    env: { ...base, HOTLINE_ARI_PASSWORD: 'x', HOTLINE_SEAT_SECRET: 'y', ...env }, encoding: 'utf8'
  })
  return { run, dir, file: (f: string) => readFileSync(path.join(dir, f), 'utf8') }
}

/** The section under a header line such as "[seat-sip](!)" of a rendered .conf, as its lines. */
function section(text: string, header: string): string[] {
  const start = text.indexOf(`\n${header}\n`) + 1
  if (start === 0) return []
  const rest = text.slice(start).split('\n')
  const end = rest.findIndex((l, i) => i > 0 && l.startsWith('['))
  return rest.slice(0, end < 0 ? undefined : end).filter(Boolean)
}

function certificate(t: Test) {
  const dir = scratch(t, 'hotline-cert-')
  const cert = path.join(dir, 'pbx.crt'), key = path.join(dir, 'pbx.key')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=pbx.test',
    '-keyout', key, '-out', cert], { stdio: 'ignore' })
  return { dir, cert, key }
}

t.test('without a certificate desk seats stay on UDP and no TLS transport is bound', async (t) => {
  const { run, file } = render(t, {})
  t.equal(run.status, 0, run.stderr)
  t.same(section(file('pjsip_seats.conf'), '[transport-tls]'), [])
  t.ok(section(file('pjsip_seats.conf'), '[seat-sip](!)').includes('transport = transport-udp'))
})

t.test('with the operator\'s certificate desk seats use SIP-TLS and require SRTP', async (t) => {
  const { cert, key } = certificate(t)
  const { run, dir, file } = render(t, { HOTLINE_SIP_TLS_CERT: cert, HOTLINE_SIP_TLS_KEY: key, HOTLINE_SIP_TLS_BIND: '10.0.0.5:5061' })
  t.equal(run.status, 0, run.stderr)
  const seats = file('pjsip_seats.conf')
  t.same(section(seats, '[transport-tls]'), ['[transport-tls]', 'type = transport', 'protocol = tls', 'bind = 10.0.0.5:5061',
    'cert_file = /etc/asterisk/keys/sip-tls.crt', 'priv_key_file = /etc/asterisk/keys/sip-tls.key', 'method = tlsv1_2'])
  const desk = section(seats, '[seat-sip](!)')
  t.ok(desk.includes('transport = transport-tls'), 'desk seats register and are called over TLS')
  t.ok(desk.some((l) => l.startsWith('media_encryption = sdes')), 'their media is SRTP')
  t.ok(desk.includes('media_encryption_optimistic = no'), 'and a call without SRTP is refused, not downgraded')
  t.ok(section(seats, '[seat-web](!)').some((l) => l.startsWith('webrtc = yes')), 'WebRTC seats keep DTLS-SRTP')
  t.equal(file('keys/sip-tls.crt'), readFileSync(cert, 'utf8'), 'the certificate is copied into the PBX root')
  t.equal(file('keys/sip-tls.key'), readFileSync(key, 'utf8'))
  t.equal(statSync(path.join(dir, 'keys/sip-tls.key')).mode & 0o777, 0o640, 'the key is not world-readable')
})

t.test('half a configuration or a file that is not PEM is refused by name', async (t) => {
  const { dir, cert } = certificate(t)
  const half = render(t, { HOTLINE_SIP_TLS_CERT: cert })
  t.equal(half.run.status, 1)
  t.match(half.run.stderr, 'HOTLINE_SIP_TLS_CERT and HOTLINE_SIP_TLS_KEY go together')
  const junk = path.join(dir, 'junk.key')
  writeFileSync(junk, 'not a key\n')
  const bad = render(t, { HOTLINE_SIP_TLS_CERT: cert, HOTLINE_SIP_TLS_KEY: junk })
  t.equal(bad.run.status, 1)
  t.match(bad.run.stderr, `HOTLINE_SIP_TLS_KEY: "${junk}" is not a PEM private key`)
  const missing = render(t, { HOTLINE_SIP_TLS_CERT: cert, HOTLINE_SIP_TLS_KEY: path.join(dir, 'absent.key') })
  t.equal(missing.run.status, 1)
  t.match(missing.run.stderr, 'HOTLINE_SIP_TLS_KEY: no such file')
})
