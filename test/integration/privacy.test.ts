import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCircle, type Circle } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createHash } from 'node:crypto';
import { createLogger } from '../../src/logging/logger.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';
import { connect, devToken } from '../../harness/signaling.js';

const lines: string[] = [];
let circle: Circle;
let url: string;

beforeAll(async () => {
  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      http: { host: '127.0.0.1', port: 0 },
      admin: { port: 0 },
      auth: { devTokens: true },
      mediasoup: { numWorkers: 1, listenIp: '127.0.0.1', webRtcServerBasePort: 0 },
      phone: { sipPort: 0 },
    },
  });
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  circle = await createCircle(config, createLogger('debug', new PrivacyKeys(config.privacy.secret).logRef, sink));
  url = `http://127.0.0.1:${(await circle.listen()).port}`;
});
afterAll(async () => circle.shutdown());

it('keeps names, room ids and tokens out of the logs, even at debug level', async () => {
  const name = 'Jordan Whitfield-Okafor';
  const room = 'whitfield-family-group';
  const client = await connect(url);
  const { token, participantId } = await devToken(url, { room, name, role: 'client' });
  const { resumeToken } = await client.ok<{ resumeToken: string }>('join', { token });
  await client.call('join', { token }); // refused: ALREADY_JOINED, logged
  await client.call('consume', { producerId: 'nope' }); // refused, logged
  const text = 'Jordan says: I relapsed on Friday';
  await client.call('sendMessage', { to: 'staff', text }); // refused (a waiting client), logged
  const lead = await connect(url);
  await lead.ok('join', { token: (await devToken(url, { room, name: 'Dr Lead', role: 'facilitator' })).token });
  await lead.ok('admit', { participantId });
  await client.ok('sendMessage', { to: 'staff', text });
  await lead.ok('sendMessage', { to: { participantId }, text: 'Thank you for telling me, Jordan' });
  await client.call('sendMessage', { to: 'everyone', text: 'x'.repeat(2000) }); // refused: too long
  lead.close();
  await client.call('join', { token: `${token}tampered` });
  client.close();
  const elsewhere = await connect(url);
  await elsewhere.call('join', { token: `${token}x` }); // UNAUTHORIZED at info level
  elsewhere.close();
  await new Promise((resolve) => setTimeout(resolve, 100));

  const log = lines.join('');
  expect(log).toContain('room opened');
  // The reference is keyed: what the cluster's secret gives, not a bare hash anyone could compute from a guess.
  expect(log).toContain(new PrivacyKeys(circle.config.privacy.secret).logRef(room));
  expect(log).not.toContain(createHash('sha256').update(room).digest('hex').slice(0, 12));
  expect(new PrivacyKeys('another cluster secret, 32 characters long').logRef(room)).not.toBe(new PrivacyKeys(circle.config.privacy.secret).logRef(room));
  expect(log).toContain('signaling request refused');
  for (const secret of [name, 'Jordan', room, token, token.split('.')[1]!, participantId, resumeToken, 'relapsed', 'Thank you for telling', 'Dr Lead', 'xxxxxxxxxx']) {
    expect(log, `log contains ${secret.slice(0, 20)}`).not.toContain(secret);
  }
});
