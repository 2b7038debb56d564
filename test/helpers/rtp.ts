/**
 * A bare RTP receiver for tests: a UDP socket that stands in for a phone's media port, counts
 * the RTP packets the PBX sends to it and decodes G.711 (PCMA/PCMU) to tell speech from silence.
 * It proves audio reached the endpoint, not merely that Asterisk meant to send it.
 */
import { createSocket, type Socket } from 'node:dgram'

/** G.711 A-law byte to a 16-bit linear sample (ITU-T G.711). */
export function alawToLinear(byte: number): number {
  const a = byte ^ 0x55
  let t = (a & 0x0f) << 4
  const seg = (a & 0x70) >> 4
  if (seg === 0) t += 8
  else { t += 0x108; if (seg > 1) t <<= seg - 1 }
  return a & 0x80 ? t : -t
}

/** G.711 µ-law byte to a 16-bit linear sample. */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff
  let t = ((u & 0x0f) << 3) + 0x84
  t <<= (u & 0x70) >> 4
  return u & 0x80 ? 0x84 - t : t - 0x84
}

export interface RtpStats { packets: number; payloadTypes: number[]; seconds: number; rms: number; loudWindows: number; windows: number }

export class RtpReceiver {
  private socket: Socket | null = null
  private samples: number[] = []
  private packets = 0
  private types = new Set<number>()
  port = 0

  async start(host = '127.0.0.1'): Promise<this> {
    const socket = createSocket('udp4')
    socket.on('message', (msg) => {
      if (msg.length < 12 || msg[0]! >> 6 !== 2) return
      const pt = msg[1]! & 0x7f
      this.packets += 1
      this.types.add(pt)
      const cc = msg[0]! & 0x0f
      const payload = msg.subarray(12 + cc * 4)
      if (pt === 8) for (const b of payload) this.samples.push(alawToLinear(b))
      else if (pt === 0) for (const b of payload) this.samples.push(ulawToLinear(b))
    })
    await new Promise<void>((resolve) => socket.bind(0, host, resolve))
    this.port = socket.address().port
    this.socket = socket
    return this
  }

  /** Forget what arrived so far (measure one interval at a time). */
  reset(): void {
    this.samples = []
    this.packets = 0
    this.types.clear()
  }

  stats(): RtpStats {
    const win = 4000 // half a second at 8 kHz
    let sumSq = 0
    let loud = 0
    let windows = 0
    for (let w = 0; w < this.samples.length; w += win) {
      let s = 0
      const end = Math.min(this.samples.length, w + win)
      for (let i = w; i < end; i++) s += this.samples[i]! * this.samples[i]!
      sumSq += s
      windows += 1
      if (Math.sqrt(s / (end - w)) > 300) loud += 1
    }
    return { packets: this.packets, payloadTypes: [...this.types], seconds: this.samples.length / 8000, rms: Math.sqrt(sumSq / Math.max(1, this.samples.length)), loudWindows: loud, windows }
  }

  close(): void {
    this.socket?.close()
    this.socket = null
  }
}
