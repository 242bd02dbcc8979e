// The phone door read as an attacker would, against a real Circle on loopback: a caller who forged an allowed
// source address (and so never sees our answer) gets nothing; an INVITE whose media points outside the trunk's
// networks is refused without a packet sent there; a caller keying forever is hung up at the prompt's deadline;
// the call limit is exact. Real calls are Debian's sipp; the attacker is the test's own UDP sockets.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { sample } from '../../harness/circle.js';
import { SipCaller, type CallStep } from '../../harness/sip-caller.js';
import { produceAudio, type TestClient } from '../../harness/signaling.js';
import { circleSuite } from '../helpers/fixtures.js';
import { until } from '../helpers/until.js';

const suite = circleSuite({
  // The trunk's signalling may come from anywhere in 127.0.0.0/8; its media gateways are in 127.0.0.0/24 only.
  phone: { allowedSources: ['127.0.0.0/8'], allowedMediaNetworks: ['127.0.0.0/24'], digitTimeoutMs: 3000, pinEntryTimeoutMs: 5000, rtpTimeoutMs: 20_000 },
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
  expect(seat()?.channel.isCall).toBeFalsy();
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

interface Waiting {
  participantId: string;
  displayName: string;
  phone: boolean;
  phoneDigits?: string;
}
const lobbyOf = (staff: TestClient) => (staff.events('lobbyUpdated') as { waiting: Waiting[] }[]).at(-1)?.waiting ?? [];
const pinOf = (seated: { result: unknown }) => (seated.result as { dialIn?: { pin: string } }).dialIn!.pin;
const participantIn = (room: string, id: string) => suite.server.circle.registry.get(room)?.participant(id);

/** A facilitator and an admitted client Ana with her browser in; a second client Ben speaking a tone by phone. */
async function groupWithAna(room: string) {
  const facilitator = await suite.seat(room, 'Fran', 'facilitator');
  const ana = await suite.seat(room, 'Ana', 'client');
  await facilitator.client.ok('admit', { participantId: ana.participantId });
  await produceAudio(facilitator.client);
  return { facilitator: facilitator.client, ana };
}

it('a call as a seat whose browser is in waits, hearing nothing and unheard, until the page says yes; a no ends it', async () => {
  const { facilitator, ana } = await groupWithAna('door-ask');
  const asked = ana.client.next<{ expiresInMs: number }>('phoneJoinRequested', 10_000);
  const caller = await call([{ keys: `${pinOf(ana)}#` }, { awaitBye: true }]);
  expect(await asked).toEqual({ expiresInMs: 30_000 });
  const seat = participantIn('door-ask', ana.participantId)!;
  await sleep(1500);
  // Unconfirmed: no transport or producer for the call, the browser's voice untouched, nobody told of a phone.
  expect(seat.callLeg?.confirmed).toBe(false);
  expect(seat.callLeg?.media.producers.size).toBe(0);
  expect(seat.callLeg?.media.transportCount).toBe(0);
  expect(seat.selfView().voiceOnPhone).toBe(false);
  expect((facilitator.events('peerUpdated') as { participantId: string; phone: boolean }[]).some((p) => p.participantId === ana.participantId && p.phone)).toBe(false);
  // What the caller heard so far is only the prompt: the room's tone never reached them.
  expect(caller.heard.length).toBeGreaterThan(0);

  await ana.client.ok('answerPhoneJoin', { accept: false });
  expect(await caller.exited).toBe(0); // Circle's BYE after the farewell
  expect(seat.callLeg).toBeNull();
  expect(ana.client.socket.connected).toBe(true);
  expect(await ana.client.call('answerPhoneJoin', { accept: true })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

  // Asked again, the page says yes: the call carries the voice, and the staff see "Ana (phone)".
  ana.client.socket.once('phoneJoinRequested', () => void ana.client.ok('answerPhoneJoin', { accept: true }));
  await call([{ keys: `${pinOf(ana)}#` }, { awaitBye: true }]);
  await until(() => seat.callLeg?.confirmed && seat.callLeg.media.producers.size > 0, 'the call carrying the voice');
  await until(() => (facilitator.events('peerUpdated') as { participantId: string; phone: boolean }[]).some((p) => p.participantId === ana.participantId && p.phone), 'the staff see the phone');
  // A third call as the same seat is refused while one carries its voice.
  const third = await call([{ keys: `${pinOf(ana)}#` }, { awaitBye: true }]);
  expect(await third.exited).toBe(0);
  expect(seat.callLeg?.confirmed).toBe(true);
});

it('a call into a seat that is not held waits in the waiting room as "Name (phone)" with the number’s last two digits; the staff let it in', async () => {
  const room = 'door-lobby';
  const facilitator = await suite.seat(room, 'Fran', 'facilitator');
  const cy = await suite.seat(room, 'Cy', 'client');
  await cy.client.ok('leave', {}); // Cy waited, then left: no seat is held for him
  await until(() => !participantIn(room, cy.participantId), 'Cy gone');
  await call([{ keys: `${pinOf(cy)}#` }, { awaitBye: true }]);
  const waiting = await until(() => lobbyOf(facilitator.client).find((w) => w.participantId === cy.participantId), 'Cy waiting by phone');
  expect(waiting).toMatchObject({ displayName: 'Cy', phone: true });
  expect(waiting.phoneDigits).toBeUndefined(); // sipp's From is not a number
  expect(participantIn(room, cy.participantId)!.admitted).toBe(false);

  const dee = await suite.seat(room, 'Dee', 'client');
  await facilitator.client.ok('admit', { participantId: dee.participantId });
  await dee.client.ok('leave', {});
  await until(() => !participantIn(room, dee.participantId), 'Dee gone');
  await SipCaller.call(suite.server.sipPort!, [{ keys: `${pinOf(dee)}#` }, { awaitBye: true }], { callerNumber: '+15555550142' }).then((caller) => {
    opened.push(caller);
    caller.speak(0);
  });
  const dialled = await until(() => lobbyOf(facilitator.client).find((w) => w.participantId === dee.participantId), 'Dee waiting by phone');
  expect(dialled).toMatchObject({ phone: true, phoneDigits: '42' });
  await facilitator.client.ok('admit', { participantId: dee.participantId });
  await until(() => (participantIn(room, dee.participantId)?.media.producers.size ?? 0) > 0, 'Dee heard once admitted');
  // The client view of Dee says "(phone)" and no digits; the staff's has them.
  const staffView = (facilitator.client.events('peerJoined') as { participantId: string; phoneDigits?: string }[]).filter((p) => p.participantId === dee.participantId).at(-1);
  expect(staffView?.phoneDigits).toBe('42');
  expect(participantIn(room, dee.participantId)!.describe(false, false)).not.toHaveProperty('phoneDigits');
});

it('a seat held for its own drop takes the call at once, unless the staff turned that off: then the call waits too', async () => {
  const room = 'door-held';
  const { facilitator, ana } = await groupWithAna(room);
  const pin = pinOf(ana);
  ana.client.socket.io.engine.close();
  await until(() => participantIn(room, ana.participantId)?.connection === 'reconnecting', 'the seat held');
  const first = await SipCaller.call(suite.server.sipPort!, [{ keys: `${pin}#` }, { pauseMs: 1500 }, { bye: true }], { callerNumber: '5550177' });
  opened.push(first);
  first.speak(0);
  await until(() => participantIn(room, ana.participantId)?.channel.isCall && participantIn(room, ana.participantId)!.admitted, 'in at once');
  const seen = await until(() => (facilitator.events('peerUpdated') as { participantId: string; phone: boolean; phoneDigits?: string }[]).find((p) => p.participantId === ana.participantId && p.phone), 'the staff see the phone at once');
  expect(seen.phoneDigits).toBe('77');
  expect(await first.exited).toBe(0);
  await until(() => !participantIn(room, ana.participantId), 'the call left the seat');

  // Held again (Ana's browser back, then dropped), with the staff's setting off: the call waits, and the room sees her leave.
  const back = await suite.seat(room, 'Ana', 'client');
  await facilitator.ok('admit', { participantId: back.participantId });
  await facilitator.ok('setPhoneEntry', { intoHeldSeats: false });
  expect((facilitator.events('roomUpdated') as { phoneIntoHeldSeats: boolean }[]).at(-1)?.phoneIntoHeldSeats).toBe(false);
  back.client.socket.io.engine.close();
  await until(() => participantIn(room, back.participantId)?.connection === 'reconnecting', 'the seat held again');
  await call([{ keys: `${pinOf(back)}#` }, { awaitBye: true }]);
  await until(() => lobbyOf(facilitator).find((w) => w.participantId === back.participantId && w.phone), 'waiting by phone');
  expect(participantIn(room, back.participantId)!.admitted).toBe(false);
  expect(facilitator.events('peerLeft')).toContainEqual({ participantId: back.participantId });
  // A client may not change the setting.
  const cy = await suite.seat(room, 'Cy', 'client');
  await facilitator.ok('admit', { participantId: cy.participantId });
  expect(await cy.client.call('setPhoneEntry', { intoHeldSeats: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
});

it('a call the page does not answer ends after 30 s; a browser that leaves while asked ends it too', async () => {
  const { ana } = await groupWithAna('door-timeout');
  const asked = ana.client.next('phoneJoinRequested', 10_000);
  const unanswered = await call([{ keys: `${pinOf(ana)}#` }, { awaitBye: true }]);
  await asked;
  const started = Date.now();
  expect(await unanswered.exited).toBe(0);
  expect(Date.now() - started).toBeGreaterThanOrEqual(29_000);
  expect(participantIn('door-timeout', ana.participantId)?.callLeg).toBeNull();

  const askedAgain = ana.client.next('phoneJoinRequested', 10_000);
  const second = await call([{ keys: `${pinOf(ana)}#` }, { awaitBye: true }]);
  await askedAgain;
  await ana.client.ok('leave', {});
  expect(await second.exited).toBe(0);
  expect(participantIn('door-timeout', ana.participantId)).toBeUndefined();
}, 60_000);

describe('phone.maxCalls', () => {
  const limited = circleSuite({ phone: { maxCalls: 2, digitTimeoutMs: 3000 } });
  const limitedMetric = async (name: string, labels: Record<string, string> = {}) => sample(await limited.server.circle.metrics.registry.metrics(), name, labels) ?? 0;
  const limitedCall = async () => {
    const caller = await SipCaller.call(limited.server.sipPort!, [{ awaitBye: true }]);
    opened.push(caller);
    caller.speak(0);
    return caller;
  };
  it('phone.maxCalls is exact: with two calls up, a third is refused 486', async () => {
    const first = await limitedCall();
    const second = await limitedCall();
    await until(async () => (await limitedMetric('circle_phone_calls_active')) === 2, 'two calls up');
    const refusedBefore = await limitedMetric('circle_phone_calls_total', { outcome: 'refused' });
    const third = await limitedCall();
    expect(await third.exited).not.toBe(0); // sipp expected a 200 and got 486
    expect(await limitedMetric('circle_phone_calls_total', { outcome: 'refused' })).toBe(refusedBefore + 1);
    expect(await limitedMetric('circle_phone_calls_active')).toBe(2);
    // The two key nothing: the digit timeout hangs up on both, and the next test starts with no call.
    expect([await first.exited, await second.exited]).toEqual([0, 0]);
    await until(async () => (await limitedMetric('circle_phone_calls_active')) === 0, 'the calls ended');
  });
});

describe('phone.maxUnacknowledgedCalls', () => {
  const blindly = circleSuite({ phone: { maxUnacknowledgedCalls: 2, allowedSources: ['127.0.0.0/8'], allowedMediaNetworks: ['127.0.0.0/24'] } });
  it('blind INVITEs never acknowledged hold at most maxUnacknowledgedCalls answers (and RTP ports); past it, 503 before a port is opened', async () => {
    const forged = await udp('127.0.0.3');
    const media = await udp('127.0.0.4');
    for (let i = 0; i < 4; i += 1) forged.send(invite(`blind-${i}-${Date.now()}`, forged, { address: '127.0.0.4', port: media.address().port }), blindly.server.sipPort!, '127.0.0.1');
    // Each call's final answer (repeated until acknowledged, which it never is), by Call-ID.
    const finals = () => {
      const byCall = new Map<string, string>();
      for (const text of forged.packets.map(String)) {
        const status = text.split(' ')[1]!;
        if (status !== '100') byCall.set(/Call-ID: (\S+)/.exec(text)![1]!, status);
      }
      return [...byCall.values()].sort();
    };
    await until(() => finals().length === 4, 'a final answer to each');
    expect(finals()).toEqual(['200', '200', '503', '503']);
    expect(media.packets).toEqual([]);
  });
});

