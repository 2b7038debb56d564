/** Moved to domain/csv.ts (audit and every export share it); kept so code written against the old place still builds. */
export * from '../domain/csv.ts'
