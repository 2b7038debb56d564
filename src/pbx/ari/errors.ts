/** Failures talking to Asterisk, typed so callers decide by kind, never by message text. */
export class AriError extends Error {
  constructor(message: string, readonly status: number | null, readonly details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AriError'
  }
}

/** The channel or bridge is gone: the caller hung up between our decision and the command. */
export class AriNotFound extends AriError {
  override name = 'AriNotFound'
}

/** Wrong ARI user or password: retrying will not help. */
export class AriAuthError extends AriError {
  override name = 'AriAuthError'
}

/** Asterisk did not answer at all (down, restarting, wrong address). */
export class AriUnreachable extends AriError {
  override name = 'AriUnreachable'
}

/**
 * Runs an ARI command whose target may already be gone (the caller hung up between our decision
 * and the command): gone is fine, anything else is thrown.
 */
export async function ignoreGone(command: Promise<unknown>): Promise<void> {
  try { await command } catch (err) { if (!(err instanceof AriNotFound)) throw err }
}
