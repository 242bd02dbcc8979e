import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCircle, type Circle } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createHash } from 'node:crypto';
import { createLogger } from '../../src/logging/logger.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';
import { connect, devToken } from '../../harness/signaling.js';
import { SipCaller } from '../../harness/sip-caller.js';

const lines: string[] = [];
let circle: Circle;
let url: string;
let sipPort: number;

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
  const listening = await circle.listen();
  url = `http://127.0.0.1:${listening.port}`;
  sipPort = listening.sipPort!;
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

it('keeps the dial-in PIN, the caller and the seat out of the logs, even at debug level, through a whole call', async () => {
  const name = 'Marisol Achterberg';
  const room = 'achterberg-evening-group';
  const lead = await connect(url);
  await lead.ok('join', { token: (await devToken(url, { room, name: 'Dr Lead', role: 'facilitator' })).token });
  const client = await connect(url);
  const { token, participantId } = await devToken(url, { room, name, role: 'client' });
  const { dialIn } = await client.ok<{ dialIn: { pin: string } }>('join', { token });
  await lead.ok('admit', { participantId });
  client.close();
  const wrong = await SipCaller.call(sipPort, [{ keys: '12345678#' }, { pauseMs: 300 }, { bye: true }]);
  wrong.speak(0);
  await wrong.exited;
  wrong.close();
  const caller = await SipCaller.call(sipPort, [{ keys: `${dialIn.pin}#` }, { pauseMs: 2500 }, { bye: true }]);
  caller.speak(0);
  await caller.exited;
  caller.close();
  lead.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const log = lines.join('');
  expect(log).toContain('phone bridge listening');
  // sipp's INVITE names the caller "Test caller" <sip:caller@127.0.0.1>: neither is ever logged, nor the PIN keyed.
  for (const secret of [dialIn.pin, '12345678', 'Test caller', 'sip:caller@', name, room, participantId]) {
    expect(log, `log contains ${secret}`).not.toContain(secret);
  }
});
