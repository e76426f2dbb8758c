// Container health check of the Clarion images (node:*-slim has no curl or wget):
//   node /app/healthcheck.js [/healthz | /readyz]
// GETs the path on the service's ops port (OPS_PORT, which each image sets) and exits 0 on HTTP 200, 1 otherwise.
// Plain CommonJS with no dependencies, so it starts in a few milliseconds and works whatever state the service is in.
'use strict';
const http = require('node:http');

const path = process.argv[2] || '/healthz';
const port = Number(process.env.OPS_PORT);
const bound = process.env.OPS_HOST;
// The ops port usually binds every interface; probe loopback then. A specific bind address is probed as such.
const host = !bound || bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound;

if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('healthcheck: OPS_PORT is not set\n');
  process.exit(1);
}
const request = http.get({ host, port, path, timeout: 4000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', (err) => {
  process.stderr.write(`healthcheck: ${path} on ${host}:${port}: ${err.message}\n`);
  process.exit(1);
});
