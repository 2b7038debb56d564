/** The line model lives in domain/ (routing, queueing and the call flow read it); re-exported for lines/. */
export * from '../domain/lines.ts'
