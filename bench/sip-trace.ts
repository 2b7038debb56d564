/**
 * Reads SIPp's message trace (-trace_msg): every message with the wall-clock time SIPp sent or
 * received it. The benchmark measures latencies between SIP messages seen by real peers, so
 * neither system under test reports its own speed.
 */
import { existsSync, readFileSync } from 'node:fs'

export interface TracedMessage {
  at: number
  direction: 'sent' | 'received'
  /** Request method, or 'SIP/2.0' for a response. */
  method: string
  status: number | null
  cseqMethod: string
  callId: string
  /** The number in the From header (the caller, on the carrier's and the agent's side alike). */
  fromNumber: string
}

const HEADER = /^-{20,} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{6})$/

export function readSipTrace(file: string): TracedMessage[] {
  if (!existsSync(file)) return []
  const out: TracedMessage[] = []
  const lines = readFileSync(file, 'utf8').split('\n')
  let i = 0
  while (i < lines.length) {
    const m = HEADER.exec(lines[i]!)
    if (!m) { i++; continue }
    // SIPp writes local time; the machine's zone applies to every peer alike.
    const at = new Date(`${m[1]}T${m[2]}`).getTime() + Number(m[3]) / 1000
    const direction = /message sent/.test(lines[i + 1] ?? '') ? 'sent' : 'received'
    let j = i + 2
    while (j < lines.length && lines[j]!.trim() === '') j++
    const first = lines[j] ?? ''
    const block: string[] = []
    for (j = j + 1; j < lines.length && !HEADER.test(lines[j]!); j++) block.push(lines[j]!)
    const header = (name: string) => block.find((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'))?.slice(name.length + 1).trim() ?? ''
    const status = first.startsWith('SIP/2.0') ? Number(first.split(' ')[1]) : null
    out.push({
      at, direction, status,
      method: first.split(' ')[0] ?? '',
      cseqMethod: header('CSeq').split(' ')[1] ?? '',
      callId: header('Call-ID'),
      fromNumber: /sip:([^@>;]+)@/.exec(header('From'))?.[1] ?? ''
    })
    i = j
  }
  return out
}

