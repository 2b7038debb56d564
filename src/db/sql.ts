/** The PostgreSQL client: one pool per process, snake_case columns as camelCase fields. */
import postgres from 'postgres'

export type Sql = postgres.Sql<Record<string, unknown>>

export function createSql(url: string, options: { max?: number; applicationName?: string } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    transform: postgres.camel,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'hotline' }
  }) as unknown as Sql
}

/** Readiness: PostgreSQL answers a query. */
export async function pingSql(sql: Sql): Promise<void> {
  await sql`select 1`
}
