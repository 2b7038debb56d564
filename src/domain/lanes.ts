/**
 * One lane per key: work for the same call (or the same agent) runs one piece at a time, in
 * arrival order, while different keys run concurrently. ARI events for one call must never
 * interleave (a hangup handled in the middle of an answer would leave a half-built bridge).
 */
export class Lanes {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve()
    const next = prev.then(work, work)
    const tail = next.catch(() => undefined)
    this.tails.set(key, tail)
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key) })
    return next
  }

  get size(): number {
    return this.tails.size
  }

  /** Resolves when every lane has drained (graceful shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()])
  }
}
