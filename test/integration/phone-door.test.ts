// The phone door read as an attacker would, against a real Circle on loopback: a caller who forged an allowed
// source address (and so never sees our answer) gets nothing; an INVITE whose media points outside the trunk's
// networks is refused without a packet sent there; a caller keying forever is hung up at the prompt's deadline;
// the call limit is exact. Real calls are Debian's sipp; the attacker is the test's own UDP sockets.
import dgram from 'node:dgram';
import { afterEach, expect, it } from 'vitest';
import { sample } from '../../harness/circle.js';
import { SipCaller, type CallStep } from '../../harness/sip-caller.js';
import { circleSuite } from '../helpers/fixtures.js';
import { until } from '../helpers/until.js';

const suite = circleSuite({
  // The trunk's signalling may come from anywhere in 127.0.0.0/8; its media gateways are in 127.0.0.0/24 only.
  phone: { allowedSources: ['127.0.0.0/8'], allowedMediaNetworks: ['127.0.0.0/24'], digitTimeoutMs: 3000, pinEntryTimeoutMs: 5000, maxCalls: 2, rtpTimeoutMs: 20_000 },
  sessions: { resumeGraceMs: 30_000 },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const thing of opened.splice(0)) thing.close();
});

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return sample(await suite.server.circle.metrics.registry.metrics(), name, labels) ?? 0;
}

async function udp(address: string): Promise<dgram.Socket & { packets: Buffer[] }> {
  const socket = Object.assign(dgram.createSocket('udp4'), { packets: [] as Buffer[] });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  socket.on('message', (data) => socket.packets.push(data));
  opened.push(socket);
  return socket;
}

async function call(steps: CallStep[]): Promise<SipCaller> {
  const caller = await SipCaller.call(suite.server.sipPort!, steps);
  opened.push(caller);
  caller.speak(0);
  return caller;
}

function invite(callId: string, from: dgram.Socket, media: { address: string; port: number }): string {
  const { address, port } = from.address();
  const sdp = ['v=0', `o=x 1 1 IN IP4 ${media.address}`, 's=-', `c=IN IP4 ${media.address}`, 't=0 0', `m=audio ${media.port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', ''].join('\r\n');
  return [
    `INVITE sip:circle@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP ${address}:${port};branch=z9hG4bK${callId}`,
    `From: <sip:mallory@${address}>;tag=mallory`,
    'To: <sip:circle@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:mallory@${address}:${port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
}

function inDialog(method: string, callId: string, cseq: number, toTag: string, body = '', contentType = ''): string {
  return [
    `${method} sip:circle@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.3:5099;branch=z9hG4bK${method}${cseq}`,
    'From: <sip:mallory@127.0.0.3>;tag=mallory',
    `To: <sip:circle@127.0.0.1>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    `CSeq: ${method === 'ACK' ? 1 : cseq} ${method}`,
    ...(body ? [`Content-Type: ${contentType}`] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

// First: a blind INVITE below holds a call slot until its answer times out unacknowledged (64·T1).
it('phone.maxCalls is exact: with two calls up, a third is refused 486', async () => {
  const first = await call([{ awaitBye: true }]);
  const second = await call([{ awaitBye: true }]);
  await until(async () => (await metric('circle_phone_calls_active')) === 2, 'two calls up');
  const refusedBefore = await metric('circle_phone_calls_total', { outcome: 'refused' });
  const third = await call([{ awaitBye: true }]);
  expect(await third.exited).not.toBe(0); // sipp expected a 200 and got 486
  expect(await metric('circle_phone_calls_total', { outcome: 'refused' })).toBe(refusedBefore + 1);
  expect(await metric('circle_phone_calls_active')).toBe(2);
  // The two key nothing: the digit timeout hangs up on both, and the next test starts with no call.
  expect([await first.exited, await second.exited]).toEqual([0, 0]);
  await until(async () => (await metric('circle_phone_calls_active')) === 0, 'the calls ended');
});

it('a blind caller who forged an allowed source gets nothing: no prompt, no media, no key taken, no seat, even with the right PIN', async () => {
  const facilitator = await suite.seat('door-blind', 'Fran', 'facilitator');
  const ana = await suite.seat('door-blind', 'Ana', 'client');
  await facilitator.client.ok('admit', { participantId: ana.participantId });
  const pin = (ana.result as { dialIn?: { pin: string } }).dialIn!.pin;
  ana.client.socket.io.engine.close(); // Ana's browser drops: her seat is held, the case a call may take it directly
  const seat = () => suite.server.circle.registry.get('door-blind')?.participant(ana.participantId);
  await until(() => seat()?.connection === 'reconnecting', 'the seat held');

  // The forged INVITE's answers go to the address it forged, never to the attacker: its socket is gone.
  const forged = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => forged.bind(0, '127.0.0.3', resolve));
  const listening = await udp('127.0.0.4'); // where the attacker wants the call's audio
  const callId = `blind-${Date.now()}`;
  await new Promise((resolve) => forged.send(invite(callId, forged, { address: '127.0.0.4', port: listening.address().port }), suite.server.sipPort!, '127.0.0.1', resolve));
  forged.close();
  const sender = await udp('127.0.0.3');
  const send = (text: string) => new Promise((resolve) => sender.send(text, suite.server.sipPort!, '127.0.0.1', resolve));
  await sleep(100);
  // A blind ACK with a guessed tag, then the PIN keyed by SIP INFO, as the attacker would.
  for (const guess of ['', '1', 'deadbeef0001', 'a1b2c3d4e5f6']) await send(inDialog('ACK', callId, 1, guess));
  let cseq = 2;
  for (const key of `${pin}#`) await send(inDialog('INFO', callId, cseq++, 'a1b2c3d4e5f6', `Signal=${key === '#' ? '11' : key}\r\nDuration=160\r\n`, 'application/dtmf-relay'));
  await sleep(2500);

  expect(listening.packets).toEqual([]); // not a prompt, not a frame of silence
  expect(seat()?.connection).toBe('reconnecting');
  expect(seat()?.channel.viaPhone).toBeFalsy();
  expect(await metric('circle_phone_calls_active')).toBe(0);
  // What the attacker's in-dialog requests got: 481, as for a call that does not exist.
  expect(sender.packets.map((packet) => packet.toString().split('\r\n')[0])).toEqual(Array.from({ length: pin.length + 1 }, () => 'SIP/2.0 481 Call/Transaction Does Not Exist'));
});

it('an INVITE whose media address lies outside the trunk’s media networks is refused 488, and nothing is ever sent there', async () => {
  const before = await metric('circle_phone_sip_dropped_total', { reason: 'media-not-allowed' });
  const trunk = await udp('127.0.0.1');
  const victim = await udp('127.0.1.9'); // in 127.0.0.0/8 (a source the trunk may use), outside 127.0.0.0/24
  for (let i = 0; i < 5; i += 1) trunk.send(invite(`reflect-${i}-${Date.now()}`, trunk, { address: '127.0.1.9', port: victim.address().port }), suite.server.sipPort!, '127.0.0.1');
  await until(() => trunk.packets.filter((packet) => packet.toString().startsWith('SIP/2.0 488')).length === 5, 'five refusals');
  await sleep(500);
  expect(victim.packets).toEqual([]);
  expect(await metric('circle_phone_sip_dropped_total', { reason: 'media-not-allowed' })).toBe(before + 5);
});

it('a caller who keeps keying is hung up on at the PIN prompt’s deadline, however often they press', async () => {
  const before = await metric('circle_phone_calls_total', { outcome: 'no-input' });
  const started = Date.now();
  // A key every ~1 s, each well within the digit timeout (3 s), for longer than the whole prompt's deadline (5 s).
  const steps: CallStep[] = [];
  for (let i = 0; i < 12; i += 1) steps.push({ keys: '1' }, { pauseMs: 750 });
  await call(steps);
  await until(async () => (await metric('circle_phone_calls_total', { outcome: 'no-input' })) === before + 1, 'the call hung up', 12_000);
  const elapsed = Date.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(5000);
  expect(elapsed).toBeLessThan(9000);
});
