/** Pure account rules: what a new password must be (等保三级: length and complexity, not the user id). */

export const MIN_PASSWORD_LENGTH = 10

/**
 * Why `password` is not acceptable for `userId`, or null when it is. The same rule on user
 * creation, an administrator's reset and the user's own change. The messages start with the
 * reason the pages translate (see PASSWORD_PROBLEMS).
 */
export function passwordProblem(password: string, userId: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must have at least ${MIN_PASSWORD_LENGTH} characters`
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length
  if (classes < 3) return 'must mix at least three of: lower-case letters, upper-case letters, digits, other characters'
  if (password.toLowerCase() === userId.toLowerCase()) return 'must not be the user id'
  return null
}

/**
 * When a session's access token is renewed: `margin` seconds before it expires, a fifth of its
 * lifetime but at least 5 s and at most 2 minutes, so a throttled background tab still renews in
 * time. The pages use the same rule (public/shared/api.js).
 */
export function renewMarginSeconds(lifetimeSeconds: number): number {
  return Math.min(120, Math.max(5, Math.round(lifetimeSeconds / 5)))
}
