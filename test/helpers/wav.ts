/** Reads a PCM WAV file's format and loudness, to tell a real recording from silence. */
export interface WavStats { sampleRate: number; channels: number; bitsPerSample: number; durationS: number; peak: number; rms: number; loudWindows: number; windows: number }

export function wavStats(buf: Buffer): WavStats {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file')
  let off = 12
  let fmt: { channels: number; sampleRate: number; bits: number } | null = null
  let data: Buffer | null = null
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4)
    const size = buf.readUInt32LE(off + 4)
    if (id === 'fmt ') fmt = { channels: buf.readUInt16LE(off + 10), sampleRate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) }
    if (id === 'data') data = buf.subarray(off + 8, Math.min(buf.length, off + 8 + size))
    off += 8 + size + (size % 2)
  }
  if (!fmt || !data) throw new Error('WAV without fmt or data chunk')
  if (fmt.bits !== 16) throw new Error(`expected 16-bit PCM, got ${fmt.bits}`)
  const samples = Math.floor(data.length / 2)
  const win = Math.max(1, Math.floor(fmt.sampleRate / 2))
  let peak = 0, sumSq = 0, loud = 0, windows = 0
  for (let w = 0; w < samples; w += win) {
    let s = 0
    const end = Math.min(samples, w + win)
    for (let i = w; i < end; i++) {
      const v = data.readInt16LE(i * 2)
      s += v * v
      if (Math.abs(v) > peak) peak = Math.abs(v)
    }
    sumSq += s
    windows++
    if (Math.sqrt(s / (end - w)) > 300) loud++
  }
  return { sampleRate: fmt.sampleRate, channels: fmt.channels, bitsPerSample: fmt.bits, durationS: samples / fmt.sampleRate / fmt.channels, peak, rms: Math.sqrt(sumSq / Math.max(1, samples)), loudWindows: loud, windows }
}
