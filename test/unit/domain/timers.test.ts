/**
 * Timers as data: due times synced from a record onto a timer port. A fake port that the test
 * moves by hand stands in for real time (pure logic; nothing else is faked).
 */
import t from 'tap'
import { DueTimers, type TimerPort } from '../../../src/domain/timers.ts'

class HandMovedTime implements TimerPort {
  now = 0
  private pending: { at: number; fn: () => void; cancelled: boolean }[] = []
  at(at: number, fn: () => void) {
    const p = { at, fn, cancelled: false }
    this.pending.push(p)
    return { cancel: () => { p.cancelled = true } }
  }
  advance(ms: number): void {
    this.now += ms
    const due = this.pending.filter((p) => !p.cancelled && p.at <= this.now).sort((a, b) => a.at - b.at)
    this.pending = this.pending.filter((p) => !due.includes(p) && !p.cancelled)
    for (const p of due) p.fn()
  }
}

type Kind = 'ringGuard' | 'overflow' | 'announce'

t.test('a due time fires once, when the clock reaches it', async (t) => {
  const time = new HandMovedTime()
  const fired: string[] = []
  const timers = new DueTimers<Kind>(time, (owner, kind, at) => fired.push(`${owner}:${kind}@${at}`))
  timers.sync('call-1', { ringGuard: 20_000, overflow: 60_000 })
  time.advance(19_999)
  t.same(fired, [], 'nothing before its time')
  time.advance(1)
  t.same(fired, ['call-1:ringGuard@20000'])
  t.same(timers.pending('call-1'), { overflow: 60_000 }, 'the other is still armed')
  time.advance(60_000)
  t.same(fired, ['call-1:ringGuard@20000', 'call-1:overflow@60000'])
})

t.test('syncing with a changed record moves, keeps and cancels timers', async (t) => {
  const time = new HandMovedTime()
  const fired: string[] = []
  const timers = new DueTimers<Kind>(time, (_owner, kind, at) => fired.push(`${kind}@${at}`))
  timers.sync('c', { overflow: 10_000, announce: 5_000 })
  timers.sync('c', { overflow: 10_000, announce: 8_000, ringGuard: null })
  time.advance(6_000)
  t.same(fired, [], 'the moved announcement did not fire at its old time')
  time.advance(2_000)
  t.same(fired, ['announce@8000'])
  timers.sync('c', {})
  time.advance(10_000)
  t.same(fired, ['announce@8000'], 'a due time the record no longer has never fires')
})

t.test('a restarted server re-arms exactly what the record holds', async (t) => {
  const time = new HandMovedTime()
  const record = { due: { ringGuard: 30_000 } }
  const before = new DueTimers<Kind>(time, () => t.fail('the old process is gone'))
  before.sync('c', record.due)
  before.clearAll()
  const fired: string[] = []
  const after = new DueTimers<Kind>(time, (_o, kind, at) => fired.push(`${kind}@${at}`))
  after.sync('c', record.due)
  time.advance(30_000)
  t.same(fired, ['ringGuard@30000'])
})
