#!/usr/bin/env node
// Render the project's Asterisk configuration into a folder (normally <PBX root>/etc/asterisk).
//
//   node scripts/render-pbx-config.mjs <target-folder>
//
// 1. Every dialplans/*.conf is a template. Placeholders are ${HOTLINE_NAME} (upper case, HOTLINE_ prefix
//    only, so Asterisk's own ${EXTEN}, ${CALLERID(num)} ... pass through untouched). Each is filled from
//    the environment, or from DEFAULTS below; a placeholder with neither is an error, and every missing
//    name is reported at once. Secrets (passwords) have no default on purpose.
// 2. pjsip_seats.conf is generated: one SIP seat per id in HOTLINE_SEATS and one WebRTC seat per id in
//    HOTLINE_WEB_SEATS. Lists look like "1001-1040,1050,2001-2003"; an empty string means none.
//    A desk seat's SIP password = first 24 hex chars of HMAC-SHA256(key=HOTLINE_SEAT_SECRET, message=<id>),
//    provisioned into the phone. A WebRTC seat gets no auth object here: the server creates one per sign-in
//    (sorcery.conf, ARI push configuration). HOTLINE_SEAT_PERMIT (default 127.0.0.1/32) is every seat's ACL.
// 3. rtp_ice.conf is generated (included by rtp.conf): the ICE candidate ACL from HOTLINE_ICE_PERMIT.
// 4. SIP-TLS and SRTP for desk seats, when the operator supplies a certificate: HOTLINE_SIP_TLS_CERT and
//    HOTLINE_SIP_TLS_KEY (PEM files; both or neither) are copied into <target>/keys/ (Asterisk runs in its
//    own root and cannot read the operator's paths), a transport-tls is bound on HOTLINE_SIP_TLS_BIND
//    (default 127.0.0.1:5061), and desk seats then use it with SDES-SRTP required (media_encryption=sdes):
//    signalling and media of desk phones are both encrypted. WebRTC seats are always DTLS-SRTP.
// The target folder is created if needed; files are written with mode 0640 (they hold secrets).
// No dependencies: plain Node.
import { createHmac } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const DEFAULTS = {
  HOTLINE_ARI_USER: 'hotline',
  HOTLINE_ARI_APP: 'hotline',
  HOTLINE_SIP_BIND: '127.0.0.1:5060',
  HOTLINE_TRUNK_MATCH: '127.0.0.2',
  HOTLINE_TRUNK_CONTACT: '127.0.0.2:5080',
  HOTLINE_SEATS: '1001-1040',
  HOTLINE_WEB_SEATS: '8001-8020',
  // Addresses seats may register and call from (IPs/CIDRs, comma-separated): the agents' network.
  // Default loopback only, like everything else here; "none" renders no ACL at all.
  HOTLINE_SEAT_PERMIT: '127.0.0.1/32',
  // media_address of WebRTC seats (testbed.md section 7); set to an empty string to leave it out.
  HOTLINE_WEB_MEDIA_ADDRESS: '127.0.0.1',
  // ICE host candidates Asterisk may offer to browsers (IPs/CIDRs, comma-separated; rtp_ice.conf).
  // Empty: no ACL, every address of this machine (what a browser on the same machine needs).
  HOTLINE_ICE_PERMIT: '',
  HOTLINE_SIP_TLS_BIND: '127.0.0.1:5061'
}

const PLACEHOLDER = /\$\{(HOTLINE_[A-Z0-9_]+)\}/g
const SEAT_ID = /^[0-9A-Za-z_-]{1,40}$/

function fail(message) {
  process.stderr.write(`render-pbx-config: ${message}\n`)
  process.exit(1)
}

function value(name) {
  const v = process.env[name]
  return v !== undefined ? v : DEFAULTS[name]
}

/** "1001-1003,2001" -> ["1001","1002","1003","2001"]; ranges keep the width of their first id. */
function expandIds(name) {
  const spec = (value(name) ?? '').trim()
  if (spec === '') return []
  const ids = []
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part)
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])]
      if (to < from || to - from > 10000) fail(`${name}: bad range "${part}"`)
      for (let n = from; n <= to; n++) ids.push(String(n).padStart(range[1].length, '0'))
    } else if (SEAT_ID.test(part)) {
      ids.push(part)
    } else {
      fail(`${name}: bad seat id "${part}" (letters, digits, _ and - only)`)
    }
  }
  return ids
}

function seatPassword(secret, id) {
  return createHmac('sha256', secret).update(id).digest('hex').slice(0, 24)
}

/**
 * Desk seats over SIP-TLS with SRTP when the operator gives a certificate; null when not configured.
 * The PEM files are read here (not referenced) because Asterisk only sees its own root.
 */
function sipTls() {
  const cert = (value('HOTLINE_SIP_TLS_CERT') ?? '').trim()
  const key = (value('HOTLINE_SIP_TLS_KEY') ?? '').trim()
  if (!cert && !key) return null
  if (!cert || !key) fail('HOTLINE_SIP_TLS_CERT and HOTLINE_SIP_TLS_KEY go together: set both or neither')
  for (const [name, file] of [['HOTLINE_SIP_TLS_CERT', cert], ['HOTLINE_SIP_TLS_KEY', key]]) {
    if (!existsSync(file)) fail(`${name}: no such file "${file}"`)
  }
  const certPem = readFileSync(cert, 'utf8')
  const keyPem = readFileSync(key, 'utf8')
  if (!/-----BEGIN CERTIFICATE-----/.test(certPem)) fail(`HOTLINE_SIP_TLS_CERT: "${cert}" is not a PEM certificate`)
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) fail(`HOTLINE_SIP_TLS_KEY: "${key}" is not a PEM private key`)
  const bind = value('HOTLINE_SIP_TLS_BIND')
  if (!/^[0-9a-fA-F.:[\]]+:\d{1,5}$/.test(bind)) fail(`HOTLINE_SIP_TLS_BIND: bad address:port "${bind}"`)
  return {
    files: new Map([['keys/sip-tls.crt', certPem], ['keys/sip-tls.key', keyPem]]),
    transport: [
      '[transport-tls]',
      'type = transport',
      'protocol = tls',
      `bind = ${bind}`,
      'cert_file = /etc/asterisk/keys/sip-tls.crt',
      'priv_key_file = /etc/asterisk/keys/sip-tls.key',
      'method = tlsv1_2',
      ''
    ]
  }
}

function seatsConf(tls) {
  const secret = value('HOTLINE_SEAT_SECRET')
  const sip = expandIds('HOTLINE_SEATS')
  const web = expandIds('HOTLINE_WEB_SEATS')
  const dup = sip.filter((id) => web.includes(id))
  if (dup.length) fail(`seat ids in both HOTLINE_SEATS and HOTLINE_WEB_SEATS: ${dup.join(', ')}`)
  if ((sip.length || web.length) && !secret) return { missing: ['HOTLINE_SEAT_SECRET'] }
  const mediaAddress = value('HOTLINE_WEB_MEDIA_ADDRESS')
  const permit = (value('HOTLINE_SEAT_PERMIT') ?? '').trim()
  const CIDR = /^[0-9a-fA-F.:]+(\/\d{1,3})?$/
  const permits = permit === 'none' ? [] : permit.split(',').map((p) => p.trim()).filter(Boolean)
  if (permit !== 'none' && permits.length === 0) fail('HOTLINE_SEAT_PERMIT is empty: give the agents\' addresses, or "none" for no ACL')
  for (const p of permits) if (!CIDR.test(p)) fail(`HOTLINE_SEAT_PERMIT: bad address "${p}"`)
  // Requests (REGISTER, INVITE) and registered contacts from anywhere else are refused for every seat:
  // a harvested desk password is no use from outside the agents' network.
  const acl = permits.length ? ['deny = 0.0.0.0/0.0.0.0,::/0', `permit = ${permits.join(',')}`, 'contact_deny = 0.0.0.0/0.0.0.0,::/0', `contact_permit = ${permits.join(',')}`] : []
  const out = [
    '; GENERATED by scripts/render-pbx-config.mjs: do not edit (change HOTLINE_SEATS / HOTLINE_WEB_SEATS).',
    `; ${sip.length} SIP seats (password = HMAC-SHA256(HOTLINE_SEAT_SECRET, id)[0:24]), ${web.length} WebRTC seats (auth per sign-in, from the server).`,
    '',
    ...(tls ? tls.transport : []),
    '[seat-sip](!)',
    'type = endpoint',
    ...(tls
      ? ['transport = transport-tls', 'media_encryption = sdes   ; SRTP keys ride in the TLS-protected SDP', 'media_encryption_optimistic = no']
      : ['transport = transport-udp']),
    'context = from-seats',
    'disallow = all',
    'allow = ulaw,alaw',
    'dtmf_mode = rfc4733',
    'direct_media = no',
    'rtp_symmetric = yes',
    'force_rport = yes',
    'rewrite_contact = yes',
    'send_connected_line = no   ; the agent panel shows the caller; avoids mid-call re-INVITEs to phones',
    ...acl,
    '',
    '[seat-web](!)',
    'type = endpoint',
    'transport = transport-ws',
    'context = from-seats',
    'disallow = all',
    'allow = opus,ulaw',
    'dtmf_mode = rfc4733',
    'webrtc = yes   ; use_avpf, media_encryption=dtls, dtls_auto_generate_cert, ice_support, rtcp_mux ...',
    'direct_media = no',
    'rtp_symmetric = yes',
    'force_rport = yes',
    'rewrite_contact = yes',
    'send_connected_line = no',
    // A browser that vanished without a BYE (crash, lost network) leaves a silent channel: end it
    // after 20 s without media, so the server's agent-rejoin grace (HOTLINE_SEAT_REJOIN_S) starts.
    'rtp_timeout = 20',
    ...(mediaAddress ? [`media_address = ${mediaAddress}`] : []),
    ...acl,
    '',
    '[seat-aor](!)',
    'type = aor',
    'max_contacts = 1',
    'remove_existing = yes',
    '',
    '[seat-auth](!)',
    'type = auth',
    'auth_type = userpass',
    ''
  ]
  const seat = (id, template, withAuth) => {
    out.push(`[${id}](${template})`, `aors = ${id}`, `auth = ${id}`, `[${id}](seat-aor)`)
    if (withAuth) out.push(`[${id}](seat-auth)`, `username = ${id}`, `password = ${seatPassword(secret, id)}`)
    out.push('')
  }
  for (const id of sip) seat(id, 'seat-sip', true)
  // A WebRTC seat's auth object is not written here: the hotline server creates it at sign-in with
  // a password of that sign-in only and deletes it at sign-out (ARI push configuration, sorcery.conf).
  for (const id of web) seat(id, 'seat-web', false)
  return { text: out.join('\n') }
}

/** rtp.conf's ICE candidate ACL: none by default (every address of the machine), else deny all but the list. */
function iceConf() {
  const spec = (value('HOTLINE_ICE_PERMIT') ?? '').trim()
  const head = '; GENERATED by scripts/render-pbx-config.mjs from HOTLINE_ICE_PERMIT: do not edit.'
  if (spec === '') return [head, '; HOTLINE_ICE_PERMIT is empty: every address of this machine is offered as an ICE host candidate.', ''].join('\n')
  const CIDR = /^[0-9a-fA-F.:]+(\/\d{1,3})?$/
  const permits = spec.split(',').map((p) => p.trim()).filter(Boolean)
  for (const p of permits) if (!CIDR.test(p)) fail(`HOTLINE_ICE_PERMIT: bad address "${p}"`)
  return [head, 'ice_deny = 0.0.0.0/0', 'ice_deny = ::/0', ...permits.map((p) => `ice_permit = ${p}`), ''].join('\n')
}

function main() {
  const target = process.argv[2]
  if (!target || process.argv.length > 3) fail('usage: node scripts/render-pbx-config.mjs <target-folder>')
  const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dialplans')
  const templates = readdirSync(srcDir).filter((f) => f.endsWith('.conf')).sort()
  if (!templates.includes('pjsip.conf')) fail(`no pjsip.conf in ${srcDir}`)

  const missing = new Set()
  const rendered = new Map()
  for (const file of templates) {
    const text = readFileSync(join(srcDir, file), 'utf8')
    rendered.set(file, text.replace(PLACEHOLDER, (whole, name) => {
      const v = value(name)
      if (v === undefined || v === '') {
        missing.add(`${name} (${file})`)
        return whole
      }
      if (/[\r\n]/.test(v)) fail(`${name} must be a single line`)
      return v
    }))
  }
  const tls = sipTls()
  const seats = seatsConf(tls)
  for (const m of seats.missing ?? []) missing.add(`${m} (pjsip_seats.conf)`)
  if (missing.size) fail(`missing environment variable(s): ${[...missing].join(', ')}`)
  rendered.set('pjsip_seats.conf', seats.text)
  rendered.set('rtp_ice.conf', iceConf())

  for (const [file, text] of tls?.files ?? []) rendered.set(file, text)

  mkdirSync(join(target, 'keys'), { recursive: true })
  for (const [file, text] of rendered) {
    writeFileSync(join(target, file), text, { mode: 0o640 })
    chmodSync(join(target, file), 0o640)
  }
  process.stdout.write(`rendered ${rendered.size} files into ${target}\n`)
}

main()
