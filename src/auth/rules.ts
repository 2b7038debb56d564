/** Pure account rules: what a new password must be (等保三级: complexity, not the user id). */

export const MIN_PASSWORD_LENGTH = 10

/** Why `password` is not acceptable for `userId`, or null when it is. */
export function passwordProblem(password: string, userId: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must have at least ${MIN_PASSWORD_LENGTH} characters`
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length
  if (classes < 3) return 'must mix at least three of: lower-case letters, upper-case letters, digits, other characters'
  if (password.toLowerCase().includes(userId.toLowerCase())) return 'must not contain the user id'
  return null
}
