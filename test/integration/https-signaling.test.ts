// The public port speaking HTTPS itself (http.tlsCertFile): a node's own HTTPS address for MOVED without a proxy per
// node. A real server with a certificate from a test CA: a socket joins over wss, the node announces an https URL,
// plain HTTP is not served, and a renewed certificate is served without a restart.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { io } from 'socket.io-client';
import { afterAll, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { until } from '../helpers/until.js';

const dir = mkdtempSync(path.join(tmpdir(), 'circle-https-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A certificate for 127.0.0.1 and localhost signed by the test CA; answers its serial as Node prints it. */
function issue(name: string): string {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.crt`, '-extfile', 'san.ext');
  return openssl('x509', '-in', `${name}.crt`, '-noout', '-serial').toString().trim().replace('serial=', '').toUpperCase();
}

openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=Circle test CA');
execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ${file('san.ext')}`]);
const firstSerial = issue('first');
const renewedSerial = issue('renewed');
copyFileSync(file('first.crt'), file('tls.crt'));
copyFileSync(file('first.key'), file('tls.key'));
const ca = readFileSync(file('ca.crt'), 'utf8');

let server: RunningCircle;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The serial of the certificate the port presents now, verified against the test CA. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().serialNumber.toUpperCase());
      socket.end();
    });
    socket.once('error', reject);
  });
}

it('serves signaling over HTTPS with the configured certificate, announces an https URL, and picks up a renewal', async () => {
  server = await startCircle({ http: { tlsCertFile: file('tls.crt'), tlsKeyFile: file('tls.key') } });
  const port = Number(new URL(server.url).port);
  expect(server.circle.directory.self.url).toBe(`https://127.0.0.1:${port}`);
  expect(await servedSerial(port)).toBe(firstSerial);

  // A client joins over wss, trusting only the test CA.
  const token = await new Promise<string>((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/dev/token', method: 'POST', ca, servername: 'localhost', headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += String(chunk)));
      res.on('end', () => resolve((JSON.parse(text) as { token: string }).token));
    });
    req.once('error', reject);
    req.end(JSON.stringify({ room: 'tls-room', name: 'Fola', role: 'facilitator' }));
  });
  const socket = io(`https://localhost:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true, ca });
  try {
    const joined = (await socket.timeout(10_000).emitWithAck('join', { token })) as { ok: boolean };
    expect(joined.ok).toBe(true);
  } finally {
    socket.disconnect();
  }

  // Nothing in clear on that port.
  await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();

  // cert-manager renews: the files change, new connections get the new certificate, no restart.
  copyFileSync(file('renewed.key'), file('tls.key'));
  copyFileSync(file('renewed.crt'), file('tls.crt'));
  await until(async () => (await servedSerial(port)) === renewedSerial, 'the renewed certificate', 25_000);
}, 60_000);
