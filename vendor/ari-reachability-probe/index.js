'use strict'
// ari-client 2.2.0 calls `request(url, callback)` exactly once (lib/client.js, _attachApi) and reads
// only `err.code` (ETIMEDOUT, ENOTFOUND, ECONNREFUSED mean "host not reachable"); the body and the
// response are ignored, because swagger-client fetches the same URL again on its own. This probe does
// that GET with Node's http/https and nothing else: no cookies, forms, redirects or proxies, so
// request's deprecated tree (tough-cookie 2, form-data 2, har-validator, ...) is not installed at all.
const http = require('node:http')
const https = require('node:https')

function probe (url, callback) {
  const transport = String(url).startsWith('https:') ? https : http
  let done = false
  const finish = (err, res) => { if (!done) { done = true; callback(err, res) } }
  const req = transport.get(url, (res) => {
    res.resume()
    res.once('end', () => finish(null, res))
    res.once('error', (err) => finish(err))
  })
  req.once('error', (err) => finish(err))
  return req
}

module.exports = probe
