/** Process entry (dist/server/main.js once built): the server, as `hotline serve` runs it. */
import { serve } from './serve.ts'

serve().catch((err) => {
  process.stderr.write(`hotline: failed to start: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
