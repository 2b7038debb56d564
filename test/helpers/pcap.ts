/**
 * A long stretch of real speech for SIPp to play: SIPp ships 7 s of PCMA speech
 * (g711a.pcap); a scenario that replays it on a timer wakes up every few hundred ms and can
 * miss a BYE that lands in that gap. Instead the pcap is repeated here into one long file,
 * with RTP sequence numbers and timestamps continued so the PBX sees one steady stream.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const SOURCE = '/usr/share/sip-tester/g711a.pcap'

export function longSpeechPcap(minSeconds = 180): string {
  const out = path.join(tmpdir(), `hotline-speech-${minSeconds}s.pcap`)
  if (existsSync(out)) return out
  const src = readFileSync(SOURCE)
  if (src.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${SOURCE}: not a little-endian pcap`)
  const packets: { sec: number; usec: number; data: Buffer }[] = []
  for (let off = 24; off + 16 <= src.length;) {
    const sec = src.readUInt32LE(off), usec = src.readUInt32LE(off + 4), len = src.readUInt32LE(off + 8)
    packets.push({ sec, usec, data: src.subarray(off + 16, off + 16 + len) })
    off += 16 + len
  }
  const RTP = 14 + 20 + 8 // Ethernet + IPv4 + UDP
  const t = (p: { sec: number; usec: number }) => p.sec * 1e6 + p.usec
  const frameUs = t(packets[1]!) - t(packets[0]!)
  const spanUs = t(packets[packets.length - 1]!) - t(packets[0]!) + frameUs
  const samplesPerFrame = (packets[0]!.data.length - RTP - 12) // PCMA: one byte per sample
  const copies = Math.ceil((minSeconds * 1e6) / spanUs)
  const chunks: Buffer[] = [src.subarray(0, 24)]
  for (let c = 0; c < copies; c++) {
    packets.forEach((p, i) => {
      const data = Buffer.from(p.data)
      const n = c * packets.length + i
      data.writeUInt16BE((data.readUInt16BE(RTP + 2) + c * packets.length) & 0xffff, RTP + 2)
      data.writeUInt32BE((data.readUInt32BE(RTP + 4) + c * packets.length * samplesPerFrame) >>> 0, RTP + 4)
      const at = t(packets[0]!) + n * frameUs
      const header = Buffer.alloc(16)
      header.writeUInt32LE(Math.floor(at / 1e6), 0)
      header.writeUInt32LE(at % 1e6, 4)
      header.writeUInt32LE(data.length, 8)
      header.writeUInt32LE(data.length, 12)
      chunks.push(header, data)
    })
  }
  writeFileSync(out, Buffer.concat(chunks))
  return out
}

const DTMF_SOURCE = (digit: string) => `/usr/share/sip-tester/dtmf_2833_${digit === '*' ? 'star' : digit === '#' ? 'pound' : digit}.pcap`

function readPcap(file: string): { header: Buffer; packets: { at: number; data: Buffer }[] } {
  const src = readFileSync(file)
  if (src.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian pcap`)
  const packets: { at: number; data: Buffer }[] = []
  for (let off = 24; off + 16 <= src.length;) {
    const len = src.readUInt32LE(off + 8)
    packets.push({ at: src.readUInt32LE(off) * 1e6 + src.readUInt32LE(off + 4), data: Buffer.from(src.subarray(off + 16, off + 16 + len)) })
    off += 16 + len
  }
  return { header: src.subarray(0, 24), packets }
}

/**
 * Key presses as RFC 4733 events for SIPp's play_pcap_audio, each a distinct event. SIPp ships one
 * pcap per digit, all with the same RTP timestamp and sequence numbers; Asterisk takes a second
 * event with the timestamp of the one before as a retransmission of it and drops it, so replaying
 * those files one after another delivers only the first key. Here each key gets its own RTP
 * timestamp (`gapMs` apart, as a phone would stamp it) and the sequence numbers run on, in one
 * stream: `keysPcap('132')` presses 1, 3 and 2, `gapMs` apart. `offset` shifts the whole stream
 * (in keys) so that separate files played on one call still never share a timestamp.
 */
export function keysPcap(digits: string, gapMs = 1500, offset = 0): string {
  if (!/^[0-9*#]+$/.test(digits)) throw new Error(`not DTMF digits: ${digits}`)
  const name = digits.replace(/\*/g, 's').replace(/#/g, 'p')
  const out = path.join(tmpdir(), `hotline-keys-${name}-${gapMs}ms-${offset}.pcap`)
  if (existsSync(out)) return out
  const RTP = 14 + 20 + 8
  const chunks: Buffer[] = []
  let seq = 0
  let base = 0
  let start = 0
  ;[...digits].forEach((digit, k) => {
    const { header, packets } = readPcap(DTMF_SOURCE(digit))
    const first = packets[0]!
    if (k === 0) {
      chunks.push(header)
      seq = first.data.readUInt16BE(RTP + 2) + offset * 20
      base = first.data.readUInt32BE(RTP + 4)
      start = first.at
    }
    const n = k + offset
    packets.forEach((p, i) => {
      const data = Buffer.from(p.data)
      // The end packet goes three times with one sequence number (RFC 4733 2.5.1.4): so here too.
      if (i > 0 && p.data.readUInt16BE(RTP + 2) !== packets[i - 1]!.data.readUInt16BE(RTP + 2)) seq += 1
      data.writeUInt16BE(seq & 0xffff, RTP + 2)
      data.writeUInt32BE((base + n * gapMs * 8) >>> 0, RTP + 4)
      const at = start + k * gapMs * 1000 + (p.at - first.at)
      const h = Buffer.alloc(16)
      h.writeUInt32LE(Math.floor(at / 1e6), 0)
      h.writeUInt32LE(at % 1e6, 4)
      h.writeUInt32LE(data.length, 8)
      h.writeUInt32LE(data.length, 12)
      chunks.push(h, data)
    })
    seq += 1
  })
  writeFileSync(out, Buffer.concat(chunks))
  return out
}
