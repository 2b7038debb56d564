/** Time as a port: rules take `now` in epoch milliseconds, so tests drive time without sleeping. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
