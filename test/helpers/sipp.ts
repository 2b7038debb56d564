/**
 * SIPp as a real SIP peer: the carrier that calls 12345 (from 127.0.0.2) and the agents' desk
 * phones (on 127.0.0.1:50xx). Every run is bounded in calls (-m) and time (-timeout), and
 * every process is ended by its own pid at teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Test } from 'tap'
import { REPO } from './services.ts'
import { longSpeechPcap } from './pcap.ts'

export const PBX_SIP = '127.0.0.1:5060'
export const CARRIER_IP = '127.0.0.2'

/** `name` is a file in test/sipp, or a path from the repository root (bench/sipp/…). */
export function renderScenario(name: string, vars: Record<string, string | number>): string {
  let xml = readFileSync(path.join(REPO, name.includes('/') ? name : path.join('test/sipp', name)), 'utf8')
  const all: Record<string, string | number> = { MEDIA_PCAP: longSpeechPcap(), ...vars }
  xml = xml.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_m, key: string) => {
    if (!(key in all)) throw new Error(`scenario ${name} needs {{${key}}}`)
    return String(all[key])
  })
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-sipp-'))
  const file = path.join(dir, path.basename(name))
  writeFileSync(file, xml)
  return file
}

export interface SippRun { code: number | null; stdout: string; stderr: string; pid: number; errors: string }

export interface SippProcess { pid: number; done: Promise<SippRun>; child: ChildProcess; stop(): void }

export function startSipp(args: string[], timeoutS: number, errorFile?: string): SippProcess {
  const child = spawn('sipp', [...args, '-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => { stdout = (stdout + d).slice(-20000) })
  child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-20000) })
  const done = new Promise<SippRun>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`sipp could not start (is sip-tester installed?): ${err.message}`)))
    child.on('exit', (code) => {
      let errors = ''
      try { errors = errorFile ? readFileSync(errorFile, 'utf8').slice(-4000) : '' } catch { /* no errors written */ }
      resolve({ code, stdout, stderr, pid: child.pid!, errors })
    })
  })
  return {
    pid: child.pid!, done, child,
    stop() { if (child.exitCode === null && child.pid) { try { process.kill(child.pid, 'SIGTERM') } catch { /* gone */ } } }
  }
}

/** Writes a SIPp injection CSV (SEQUENTIAL, one row per call). */
export function injectionFile(rows: string[][]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-sipp-csv-'))
  const file = path.join(dir, 'rows.csv')
  writeFileSync(file, ['SEQUENTIAL', ...rows.map((r) => r.join(';') + ';')].join('\n') + '\n')
  return file
}

/**
 * Registers seats (digest auth) and waits for every 200. Seats rewrite the contact to the
 * REGISTER's source (phones behind NAT), so it is sent from the port the desk phone will
 * answer on: register first, then start the phone on that port.
 */
export async function registerSeats(seats: { seat: string; password: string }[], contactPort: number, expires = 600): Promise<void> {
  const scenario = renderScenario('uac-seat-register.xml', { CONTACT_HOST_PORT: `127.0.0.1:${contactPort}`, EXPIRES: expires })
  // SIPp expands a CSV field holding its [authentication …] keyword per row: one run, many seats.
  const csv = injectionFile(seats.map((s) => [s.seat, s.password, `[authentication username=${s.seat} password=${s.password}]`]))
  const run = startSipp([PBX_SIP, '-sf', scenario, '-inf', csv, '-i', '127.0.0.1', '-p', String(contactPort), '-m', String(seats.length), '-l', '1', '-r', '50'], 15)
  const result = await run.done
  if (result.code !== 0) throw new Error(`seat registration failed (sipp exit ${result.code}): ${result.stderr.slice(-800)} ${result.stdout.slice(-800)}`)
}

/** An agent desk phone (UAS) that answers calls on 127.0.0.1:port; stopped at teardown. */
export function startAgentPhone(t: Test, scenario: string, port: number, vars: Record<string, string | number>, maxCalls = 50, timeoutS = 120): SippProcess {
  const file = renderScenario(scenario, vars)
  const errors = path.join(path.dirname(file), 'errors.log')
  const phone = startSipp(['-sf', file, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-m', String(maxCalls), '-trace_err', '-error_file', errors], timeoutS, errors)
  t.teardown(() => phone.stop())
  return phone
}

/** Citizens calling a number through the carrier (127.0.0.2:5080). */
export function callFromCarrier(scenario: string, dialled: string, callers: string[], vars: Record<string, string | number>, opts: { rate?: number; timeoutS?: number; port?: number } = {}): SippProcess {
  const file = renderScenario(scenario, { CALLER: '[field0]', ...vars })
  const csv = injectionFile(callers.map((c) => [c]))
  const errors = path.join(path.dirname(file), 'errors.log')
  return startSipp([PBX_SIP, '-sf', file, '-inf', csv, '-s', dialled, '-i', CARRIER_IP, '-p', String(opts.port ?? 5080), '-mi', CARRIER_IP,
    '-m', String(callers.length), '-l', String(callers.length), '-r', String(opts.rate ?? 10), '-trace_err', '-error_file', errors], opts.timeoutS ?? 60, errors)
}
