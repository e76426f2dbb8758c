import { NatsServerProcess, ServiceProcess, freePort, waitForReady } from '@clarion/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMON_ENV } from './support/gateway-stack';

/** The optional HTTPS listener: a certificate from files (HTTPS_CERT_FILE/HTTPS_KEY_FILE) and HTTP redirecting to it. */
describe('HTTPS listener with an HTTP redirect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clarion-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let gateway: ServiceProcess;
  // NATS as deployed (TLS, the gateway's own nkey), private to this suite.
  const nats = new NatsServerProcess({ secure: true });
  let httpPort = 0;
  let httpsPort = 0;

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    const opsPort = await freePort();
    await nats.start();
    gateway = new ServiceProcess('gateway', {
      ...COMMON_ENV,
      ...nats.envOf('gateway'),
      OPS_PORT: String(opsPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      HTTPS_PORT: String(httpsPort),
      HTTPS_CERT_FILE: cert,
      HTTPS_KEY_FILE: key,
    }).start();
    await waitForReady(opsPort, 60_000);
  });

  afterAll(async () => {
    const code = await gateway.stop();
    await nats.stop();
    expect(code).toBe(0);
  });

  it('serves the API over TLS with the configured certificate', async () => {
    const answer = await new Promise<{ status: number; hsts: string | undefined; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: httpsPort, path: '/healthz', ca: readFileSync(cert) }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'], body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    expect(answer.hsts).toContain('max-age=');
  });

  it('redirects plain HTTP to the same URL on HTTPS with 308, and refuses a forged Host', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/system/status?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe(`https://127.0.0.1:${httpsPort}/api/v1/system/status?x=1`);
    const forged = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: httpPort, path: '/', headers: { host: 'evil.example/@x' } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(forged).toBe(400);
  });
});
