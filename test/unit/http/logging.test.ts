import t from 'tap'
import { redactUrl } from '../../../src/http/logging.ts'

t.test('logged URLs carry no token and no caller number', async (t) => {
  const table: [string, string][] = [
    ['/v1/calls', '/v1/calls'],
    ['/v1/calls?limit=5', '/v1/calls?limit=5'],
    ['/v1/calls?callerNumber=13812345678&limit=5', '/v1/calls?callerNumber=***&limit=5'],
    ['/v1/tickets?callernumber=13812345678', '/v1/tickets?callernumber=***'],
    ['/wallboard/?token=eyJhbGciOi.x.y', '/wallboard/?token=***'],
    ['/x?phoneNumber=1&phoneNumber=2&from=2026-01-01', '/x?phoneNumber=***&from=2026-01-01'],
    ['/v1/calls/abc/recording?access_token=s3cret', '/v1/calls/abc/recording?access_token=***']
  ]
  for (const [url, logged] of table) t.equal(redactUrl(url), logged, url)
})
