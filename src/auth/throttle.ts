/**
 * The account side of brute-force protection (登录失败处理): failed logins are counted per user
 * id in Redis (shared by every node); after `maxFailures` within the window the id is locked
 * for `lockoutSeconds`, during which no password is even checked. A successful login clears
 * the count. The address side is @fastify/rate-limit on the login route.
 */
import type { Redis } from 'ioredis'
import { keys } from '../redis/keys.ts'

export interface LoginThrottleSettings { maxFailures: number; lockoutSeconds: number; windowSeconds: number }

export class LoginThrottle {
  constructor(private readonly redis: Redis, readonly settings: LoginThrottleSettings) {}

  /** Seconds left of this id's lockout; 0 when not locked. */
  async lockedFor(userId: string): Promise<number> {
    const ms = await this.redis.pttl(keys.loginLock(userId))
    return ms > 0 ? Math.ceil(ms / 1000) : 0
  }

  /** Counts a failure; locks the id when it reaches the limit. */
  async fail(userId: string): Promise<{ failures: number; lockedFor: number }> {
    const key = keys.loginFailures(userId)
    const [[, failures]] = (await this.redis.multi().incr(key).expire(key, this.settings.windowSeconds, 'NX').exec()) as [[unknown, number]]
    if (failures < this.settings.maxFailures) return { failures, lockedFor: 0 }
    await this.redis.multi().set(keys.loginLock(userId), String(failures), 'EX', this.settings.lockoutSeconds).del(key).exec()
    return { failures, lockedFor: this.settings.lockoutSeconds }
  }

  async reset(userId: string): Promise<void> {
    await this.redis.del(keys.loginFailures(userId))
  }

  /** An administrator's unlock (and a password reset): the id may log in again at once. */
  async unlock(userId: string): Promise<void> {
    await this.redis.del(keys.loginFailures(userId), keys.loginLock(userId))
  }
}
