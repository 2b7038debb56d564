/**
 * What the machine and Asterisk carry during a bench, sampled beside its figures so a reader can
 * tell whether the product, the PBX or the harness (or another tenant of the host) was the limit.
 *
 *   const probe = startProbe()     … the measured run …     const r = await probe.stop()
 *
 * Asterisk's CPU comes from /proc/<pid>/stat of the pid services.sh recorded ($STATE/asterisk.pid);
 * the machine's busy and I/O-wait shares from /proc/stat; the PBX's channel count from ARI
 * (GET /ari/channels, sampled once a second: mean and peak). Nothing here is an Asterisk module.
 */
import { readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import path from 'node:path'
import { serviceEnv, STATE_DIR } from '../test/helpers/services.ts'

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat (USER_HZ = 100). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

export function asteriskPid(): number | null {
  try {
    const pid = Number(readFileSync(path.join(STATE_DIR, 'asterisk.pid'), 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/** Jiffies of the whole machine: busy (user+nice+system+irq+softirq+steal), iowait, total. */
function machineTicks(): { busy: number; iowait: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
  const busy = user + nice + system + irq + softirq + steal
  return { busy, iowait, total: busy + idle + iowait }
}

export interface ProbeResult {
  seconds: number
  /** Asterisk CPU seconds over the run and the mean share of one core. */
  asteriskCpuS: number
  asteriskCorePct: number
  /** Machine: busy share of all cores, I/O-wait share, cores. */
  machineBusyPct: number
  machineIowaitPct: number
  cores: number
  load: { start: number; end: number; peak: number }
  channels: { mean: number; peak: number }
}

export interface Probe {
  stop(): Promise<ProbeResult>
}

export function startProbe(): Probe {
  const pid = asteriskPid()
  const env = serviceEnv()
  const ari = env.HOTLINE_ARI_URL ?? 'http://127.0.0.1:8088'
  const auth = 'Basic ' + Buffer.from(`${env.HOTLINE_ARI_USER}:${env.HOTLINE_ARI_PASSWORD}`).toString('base64')
  const t0 = Date.now()
  const cpu0 = pid ? cpuSeconds(pid) : NaN
  const m0 = machineTicks()
  const load0 = loadavg()[0]!
  let peakLoad = load0
  const samples: number[] = []
  let inFlight = false
  const timer = setInterval(() => {
    peakLoad = Math.max(peakLoad, loadavg()[0]!)
    if (inFlight) return
    inFlight = true
    fetch(`${ari}/ari/channels`, { headers: { authorization: auth }, signal: AbortSignal.timeout(900) })
      .then(async (r) => { if (r.ok) samples.push(((await r.json()) as unknown[]).length) })
      .catch(() => undefined)
      .finally(() => { inFlight = false })
  }, 1000)
  return {
    async stop() {
      clearInterval(timer)
      const seconds = (Date.now() - t0) / 1000
      const cpu = pid ? cpuSeconds(pid) - cpu0 : NaN
      const m1 = machineTicks()
      const total = Math.max(1, m1.total - m0.total)
      return {
        seconds,
        asteriskCpuS: cpu,
        asteriskCorePct: (cpu / seconds) * 100,
        machineBusyPct: ((m1.busy - m0.busy) / total) * 100,
        machineIowaitPct: ((m1.iowait - m0.iowait) / total) * 100,
        cores: cpus().length,
        load: { start: load0, end: loadavg()[0]!, peak: peakLoad },
        channels: { mean: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN, peak: samples.length ? Math.max(...samples) : NaN }
      }
    }
  }
}

/**
 * Whether the host itself was the limit: every core busy and far more runnable threads than
 * cores (other work on the machine, or the bench's own clients). Such a run says little about
 * the product; the benches print this beside their verdict.
 */
export function hostSaturated(r: ProbeResult): string | null {
  if (r.machineBusyPct < 95 || r.load.peak < 2 * r.cores) return null
  return `the host was saturated (${r.machineBusyPct.toFixed(0)}% busy, load average up to ${r.load.peak.toFixed(1)} on ${r.cores} cores): this run measured the machine more than the product`
}

/** The probe's figures as bench output lines (two-space indent, label column like the benches'). */
export function probeLines(r: ProbeResult, label = (s: string) => `  ${s.padEnd(22)} `): string[] {
  return [
    `${label('Asterisk CPU')}${r.asteriskCpuS.toFixed(1)} CPU-s, ${r.asteriskCorePct.toFixed(0)}% of one core over ${r.seconds.toFixed(1)} s`,
    `${label('Asterisk channels')}mean ${r.channels.mean.toFixed(0)}, peak ${r.channels.peak} (GET /ari/channels once a second)`,
    `${label('machine')}${r.machineBusyPct.toFixed(0)}% busy of ${r.cores} cores, I/O wait ${r.machineIowaitPct.toFixed(1)}%, load average ${r.load.start.toFixed(1)} → ${r.load.end.toFixed(1)} (peak ${r.load.peak.toFixed(1)})`,
    ...(hostSaturated(r) ? [`${label('note')}${hostSaturated(r)}`] : [])
  ]
}
