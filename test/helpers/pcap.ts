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
