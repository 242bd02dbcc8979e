// Phone dial-in against the real thing: Debian's sipp places real SIP calls (UDP and TCP) to a real Circle on
// loopback and keys PINs with its own RFC 4733 recordings; the test's socket carries the call's audio. Seats,
// producers and their pause state are read from the room and the SFU; what the others are told from their sockets.
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { Baresip } from '../../harness/baresip.js';
import { makeTestCertificates } from '../../harness/certificates.js';
import { sample } from '../../harness/circle.js';
import { freePort } from '../../harness/free-port.js';
import { SipCaller, toneShare, type CallStep } from '../../harness/sip-caller.js';
import { connect, devToken, produceAudio, resumeFollowingMoves, type TestClient } from '../../harness/signaling.js';
import type { FloorView } from '../../src/protocol/events.js';
import type { TalkEntry } from '../../src/protocol/talk.js';
import type { Participant } from '../../src/rooms/participant.js';
import { circleSuite } from '../helpers/fixtures.js';
import alawmulaw from 'alawmulaw';
import { RtpPacket } from 'werift-rtp';
import { KeyMember } from '../../harness/key-member.js';
import { MediaBot, MediaClock } from '../../load/lib/media-bot.js';
import { opusFrames } from '../../load/lib/phone-load.js';
import type { FrameKeyRing } from '../../src/e2ee/frame-keys.js';
import { openMediaFrame } from '../../src/e2ee/media-frames.js';
import type { Bytes } from '../../src/e2ee/sframe.js';
import { until } from '../helpers/until.js';

// SIP over TLS too, with a certificate from a CA of the test's own (baresip checks it).
const certificates = makeTestCertificates();
const tlsPort = await freePort();
// baresip names the machine's own interface address as its media address, not loopback: the trunk's media networks
// are this machine's addresses.
const ownAddresses = Object.values(os.networkInterfaces()).flatMap((nets) => (nets ?? []).map((net) => `${net.address}/${net.family === 'IPv4' ? 32 : 128}`));
const suite = circleSuite({
  phone: { rtpTimeoutMs: 1500, digitTimeoutMs: 3000, allowedMediaNetworks: ownAddresses, tls: { port: tlsPort, certFile: certificates.certFile, keyFile: certificates.keyFile } },
  sessions: { resumeGraceMs: 8000 },
  load: { botTransports: true },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let callers: SipCaller[] = [];
afterEach(() => {
  for (const caller of callers) caller.close();
  callers = [];
});

async function call(steps: CallStep[], options: { transport?: 'u1' | 't1' } = {}): Promise<SipCaller> {
  const caller = await SipCaller.call(suite.server.sipPort!, steps, options);
  callers.push(caller);
  caller.speak(0); // a live line: silence, as a phone sends
  return caller;
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return sample(await suite.server.circle.metrics.registry.metrics(), name, labels) ?? 0;
}

interface Group {
  facilitator: TestClient;
  client: TestClient;
  clientId: string;
  pin: string;
  resumeToken: string;
  /** The client's browser drops without a goodbye; resolves once the server holds the seat. */
  dropBrowser(): Promise<void>;
}

/** The person in the seat says yes whenever a call asks to join as them ("A phone is joining as you — is this you?"). */
function saysYesToCalls(browser: TestClient): void {
  browser.socket.on('phoneJoinRequested', () => void browser.ok('answerPhoneJoin', { accept: true }));
}

/** A facilitator (the session started) and an admitted client with a browser that says yes to her calls; her PIN. */
async function group(room: string): Promise<Group> {
  const facilitator = await suite.seat(room, 'Fran', 'facilitator');
  const client = await suite.seat(room, 'Ana', 'client');
  await facilitator.client.ok('admit', { participantId: client.participantId });
  saysYesToCalls(client.client);
  const pin = (client.result as { dialIn?: { pin: string } }).dialIn!.pin;
  const dropBrowser = async () => {
    client.client.socket.io.engine.close();
    await until(() => suite.server.circle.registry.get(room)?.participant(client.participantId)?.connection === 'reconnecting', 'the seat held');
  };
  const { resumeToken } = client.result;
  return { facilitator: facilitator.client, client: client.client, clientId: client.participantId, pin, resumeToken, dropBrowser };
}

/** A phone-only seat's PIN, from the clinic's API. */
async function phoneOnlyPin(room: string, participantId: string, name: string): Promise<string> {
  const response = await fetch(`${suite.server.adminUrl}/admin/rooms/${room}/dial-in`, {
    method: 'POST',
    headers: { authorization: `Bearer ${suite.server.circle.config.admin.bearerSecret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ participantId, name }),
  });
  return ((await response.json()) as { pin: string }).pin;
}

/** The participant once a phone call holds their seat alone with a running producer. */
function seatedByPhone(room: string, participantId: string): Promise<Participant> {
  return until(() => {
    const participant = suite.server.circle.registry.get(room)?.participant(participantId);
    return participant?.channel.isCall && participant.media.producers.size > 0 && participant;
  }, 'the phone to take the seat');
}

/** The participant once a phone call carries their voice beside their connected browser, with a running producer. */
function voiceByPhone(room: string, participantId: string): Promise<Participant> {
  return until(() => {
    const participant = suite.server.circle.registry.get(room)?.participant(participantId);
    return !participant?.channel.isCall && (participant?.callLeg?.media.producers.size ?? 0) > 0 && participant;
  }, 'the phone to carry the voice');
}

/** The phone call's producer: the seat's own while the call holds it alone, else its leg's. */
const producerOf = (participant: Participant) => [...participant.callMedia!.producers.values()][0]!;

describe('dial-in: into the right seat', () => {
  it('the PIN in the join result puts the caller in their held seat; others see no leave, and "(phone)"', async () => {
    const { facilitator, clientId, pin, dropBrowser } = await group('phone-seat');
    expect(pin).toMatch(/^\d{14}$/);
    await dropBrowser();
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const participant = await seatedByPhone('phone-seat', clientId);
    expect(participant.role).toBe('client');
    expect(participant.connection).toBe('connected');
    const update = await until(
      () => (facilitator.events('peerUpdated') as { participantId: string; phone: boolean; producers: unknown[] }[]).find((p) => p.participantId === clientId && p.phone),
      'the others told',
    );
    expect(update.phone).toBe(true);
    expect(facilitator.events('peerLeft')).toEqual([]);
    // The caller's audio reaches the SFU as the seat's producer.
    caller.speak(440);
    await until(async () => ((await producerOf(participant).getStats())[0]?.packetCount ?? 0) > 20, 'caller audio at the SFU');
    expect(await metric('circle_phone_calls_active')).toBeGreaterThanOrEqual(1);
    await until(async () => (await metric('circle_phone_packets_received_total')) > 20, "the caller's packets counted");
  });

  it('PIN keyed by SIP INFO over TCP with the browser still in: the call carries the voice, the browser keeps the seat, its microphone paused at the SFU; the caller receives the room', async () => {
    const { facilitator, client, clientId, pin } = await group('phone-tcp');
    await produceAudio(facilitator);
    const browserMicrophone = await produceAudio(client);
    await call([...[...`${pin}#`].map((key) => ({ info: key === '#' ? '11' : key })), { awaitBye: true }], { transport: 't1' });
    const participant = await voiceByPhone('phone-tcp', clientId);
    expect(client.events('sessionEnded')).toEqual([]);
    expect(facilitator.events('peerLeft')).toEqual([]);
    expect(participant.media.producer(browserMicrophone).paused).toBe(true);
    expect(producerOf(participant).paused).toBe(false);
    await until(() => (client.events('selfUpdated') as { voiceOnPhone: boolean }[]).at(-1)?.voiceOnPhone, 'the browser told its voice is on the phone');
    // The facilitator sees one seat on the phone, with both voices (the browser's paused) and no leave.
    const seen = await until(
      () => (facilitator.events('peerUpdated') as { participantId: string; phone: boolean; producers: { paused: boolean }[] }[]).find((p) => p.participantId === clientId && p.phone && p.producers.length === 2),
      'the facilitator told',
    );
    expect(seen.producers.filter((p) => !p.paused)).toHaveLength(1);
    // The group's listener at the SFU takes the facilitator's microphone for the caller; never the caller's own voice.
    const listener = await until(() => suite.server.circle.phone!.receiverIn(suite.server.circle.registry.get('phone-tcp')!, null), "the group's listener");
    await until(() => listener.consumers.size === 1, "the facilitator's audio taken for the caller");
    expect([...listener.consumers.values()].map((consumer) => consumer.appData.participantId)).not.toContain(clientId);
  });

  it('the call carrying the voice stays with the seat while the browser reconnects, and takes the seat when the browser leaves; no leave is seen', async () => {
    const { facilitator, clientId, pin, resumeToken, dropBrowser } = await group('phone-leg');
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const leg = (await voiceByPhone('phone-leg', clientId)).callLeg;
    const room = suite.server.circle.registry.get('phone-leg')!;
    caller.speak(440);
    // Her browser drops: the seat is held for it, and the same call goes on carrying her voice.
    await dropBrowser();
    expect(room.participant(clientId)!.callLeg).toBe(leg);
    // The browser comes back by resume: a new connection of the seat, with the same call.
    const back = suite.track(await connect(suite.server.url));
    const resumed = await back.ok<{ self: { voiceOnPhone: boolean } }>('resume', { resumeToken });
    expect(resumed.self.voiceOnPhone).toBe(true);
    const browser = room.participant(clientId)!;
    expect(browser.connection).toBe('connected');
    expect(browser.callLeg).toBe(leg);
    const before = (await producerOf(browser).getStats())[0]!.packetCount;
    await sleep(500);
    expect((await producerOf(browser).getStats())[0]!.packetCount).toBeGreaterThan(before + 10);
    // The browser leaves while she is still on the phone: the call takes the seat, as its one connection.
    await back.ok('leave');
    const byPhone = await seatedByPhone('phone-leg', clientId);
    expect(byPhone.connection).toBe('connected');
    expect(byPhone.callLeg).toBeNull();
    expect(facilitator.events('peerLeft')).toEqual([]);
    expect(caller.sipp.exitCode).toBeNull();
  });

  it('a browser back in a seat its call holds alone takes the call as its leg: the voice goes on over the phone, unbroken', async () => {
    const { facilitator, clientId, pin, resumeToken, dropBrowser } = await group('phone-adopt');
    await dropBrowser();
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const callProducer = producerOf(await seatedByPhone('phone-adopt', clientId));
    caller.speak(440);
    await until(async () => ((await callProducer.getStats())[0]?.packetCount ?? 0) > 20, "the call's voice at the SFU");
    // Her internet is back and the page resumes (as the SDK does by itself): the call is not ended.
    const back = suite.track(await connect(suite.server.url));
    const resumed = await back.ok<{ self: { voiceOnPhone: boolean } }>('resume', { resumeToken });
    expect(resumed.self.voiceOnPhone).toBe(true);
    const browser = suite.server.circle.registry.get('phone-adopt')!.participant(clientId)!;
    expect(browser.connectionChannel.isCall).toBeFalsy();
    expect(browser.callLeg?.media.producers.get(callProducer.id)).toBe(callProducer);
    const before = (await callProducer.getStats())[0]!.packetCount;
    await sleep(500);
    expect((await callProducer.getStats())[0]!.packetCount).toBeGreaterThan(before + 10);
    // The page's microphone is held at the SFU while the call carries the voice.
    const microphone = await produceAudio(back);
    expect(browser.media.producer(microphone).paused).toBe(true);
    expect(facilitator.events('peerLeft')).toEqual([]);
    expect(caller.sipp.exitCode).toBeNull();
    expect(back.events('sessionEnded')).toEqual([]);
  });

  it('a browser that does not come back within the grace leaves the seat to the call carrying its voice', async () => {
    const { facilitator, clientId, pin, dropBrowser } = await group('phone-leg-grace');
    await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    await voiceByPhone('phone-leg-grace', clientId);
    await dropBrowser();
    const byPhone = await until(() => {
      const participant = suite.server.circle.registry.get('phone-leg-grace')?.participant(clientId);
      return participant?.channel.isCall && participant.connection === 'connected' && participant;
    }, 'the call to take the seat after the grace', 12_000);
    expect(byPhone.role).toBe('client');
    expect(facilitator.events('peerLeft')).toEqual([]);
  });

  it('the call carrying the voice hangs up: the browser has its voice back', async () => {
    const { client, clientId, pin } = await group('phone-leg-bye');
    const browserMicrophone = await produceAudio(client);
    const caller = await call([{ keys: `${pin}#` }, { pauseMs: 2500 }, { bye: true }]);
    const participant = await voiceByPhone('phone-leg-bye', clientId);
    expect(participant.media.producer(browserMicrophone).paused).toBe(true);
    expect(await caller.exited).toBe(0);
    await until(() => participant.callLeg === null && !participant.media.producer(browserMicrophone).paused, 'the browser microphone heard again');
    expect(participant.connection).toBe('connected');
    expect((client.events('selfUpdated') as { voiceOnPhone: boolean }[]).at(-1)?.voiceOnPhone).toBe(false);
  });

  it('SIP from outside phone.allowedSources is dropped unanswered', async () => {
    const before = await metric('circle_phone_sip_dropped_total', { reason: 'source-not-allowed' });
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.2', resolve));
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(data.toString()));
    socket.send('OPTIONS sip:circle@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:9;branch=z9hG4bKz\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:circle@127.0.0.1>\r\nCall-ID: outsider\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n', suite.server.sipPort!, '127.0.0.1');
    await until(async () => (await metric('circle_phone_sip_dropped_total', { reason: 'source-not-allowed' })) > before, 'the drop counted');
    await sleep(300);
    expect(replies).toEqual([]);
    socket.close();
  });
});

describe('dial-in: a call cancelled while it rings', () => {
  const ringing = circleSuite({ phone: { ringMs: 1500 } });
  it('CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, no seat taken, outcome cancelled', async () => {
    const caller = await SipCaller.call(ringing.server.sipPort!, [], { cancelAfterMs: 300 });
    callers.push(caller);
    expect(await caller.exited).toBe(0);
    const cancelled = async () => sample(await ringing.server.circle.metrics.registry.metrics(), 'circle_phone_calls_total', { outcome: 'cancelled' });
    await until(async () => (await cancelled()) === 1, 'the call counted as cancelled (once the ring time is over)');
    expect(sample(await ringing.server.circle.metrics.registry.metrics(), 'circle_phone_calls_active')).toBe(0);
    expect(ringing.server.circle.registry.openRooms().next().done).toBe(true);
  });
});

describe('dial-in: refusals and endings', () => {
  it('a wrong PIN three times ends the call (outcome wrong-pin, three PIN failures)', async () => {
    const failures = await metric('circle_phone_pin_failures_total', { kind: 'unknown-session' });
    const wrong = await metric('circle_phone_calls_total', { outcome: 'wrong-pin' });
    const caller = await call([{ keys: '00000000#' }, { pauseMs: 300 }, { keys: '11111111#' }, { pauseMs: 300 }, { keys: '12#' }, { awaitBye: true }]);
    expect(await caller.exited).toBe(0);
    expect(await metric('circle_phone_pin_failures_total', { kind: 'unknown-session' })).toBe(failures + 3);
    expect(await metric('circle_phone_calls_total', { outcome: 'wrong-pin' })).toBe(wrong + 1);
  });

  it('a caller who keys nothing is hung up on after the digit timeout', async () => {
    const before = await metric('circle_phone_calls_total', { outcome: 'no-input' });
    const started = Date.now();
    const caller = await call([{ awaitBye: true }]);
    expect(await caller.exited).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(await metric('circle_phone_calls_total', { outcome: 'no-input' })).toBe(before + 1);
  });

  it("the caller's BYE leaves the seat: the others see a leave", async () => {
    const { facilitator, clientId, pin, dropBrowser } = await group('phone-bye');
    await dropBrowser();
    const caller = await call([{ keys: `${pin}#` }, { pauseMs: 2500 }, { bye: true }]);
    await seatedByPhone('phone-bye', clientId);
    expect(await caller.exited).toBe(0);
    await until(() => !suite.server.circle.registry.get('phone-bye')?.participant(clientId), 'the seat left');
    expect(facilitator.events('peerLeft')).toContainEqual({ participantId: clientId });
  });

  it('a caller that vanishes without BYE (no more RTP) has the seat held for the grace, then can take it back', async () => {
    const { clientId, pin, dropBrowser } = await group('phone-vanish');
    await dropBrowser();
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const participant = await seatedByPhone('phone-vanish', clientId);
    caller.fallSilent();
    await until(() => participant.connection === 'reconnecting', 'the seat held after the RTP timeout', 5000);
    expect(await caller.exited).toBe(0); // Circle's BYE reached sipp
    const again = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const back = await seatedByPhone('phone-vanish', clientId);
    expect(back).not.toBe(participant);
    expect(back.connection).toBe('connected');
    expect(again.bridge).toBeDefined();
  });

  it('a re-INVITE is answered and the call goes on; removal by the facilitator ends it with a BYE', async () => {
    const { facilitator, clientId, pin, dropBrowser } = await group('phone-reinvite');
    await dropBrowser();
    const caller = await call([{ keys: `${pin}#` }, { pauseMs: 200 }, { reinvite: true }, { awaitBye: true }]);
    const participant = await seatedByPhone('phone-reinvite', clientId);
    caller.speak(300);
    await sleep(1000); // the re-INVITE has been answered by now
    const before = (await producerOf(participant).getStats())[0]!.packetCount;
    await sleep(500);
    expect((await producerOf(participant).getStats())[0]!.packetCount).toBeGreaterThan(before + 10);
    await facilitator.ok('remove', { participantId: clientId });
    // sipp succeeds only if its re-INVITE was answered 200 and the BYE came.
    expect(await caller.exited).toBe(0);
  });

  it('malformed SIP and garbage on the SIP port are dropped or answered; a call in progress is unaffected', async () => {
    const { clientId, pin, dropBrowser } = await group('phone-garbage');
    await dropBrowser();
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const participant = await seatedByPhone('phone-garbage', clientId);
    caller.speak(500);
    const unparsable = await metric('circle_phone_sip_dropped_total', { reason: 'unparsable' });
    const socket = dgram.createSocket('udp4');
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(data.toString()));
    const send = (text: string | Buffer) => new Promise((resolve) => socket.send(text, suite.server.sipPort!, '127.0.0.1', resolve));
    await send(Buffer.from([0, 1, 2, 3, 255, 254]));
    await send('INVITE sip:x SIP/2.0\r\n\r\n'); // no headers at all
    await send('NOT SIP AT ALL\r\nVia: ???\r\n\r\n');
    await send(Buffer.alloc(20_000, 65)); // oversized
    await send('OPTIONS sip:circle@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:circle@127.0.0.1>\r\nCall-ID: ping\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    await send('INVITE sip:circle@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKy\r\nFrom: <sip:a@b>;tag=2\r\nTo: <sip:circle@127.0.0.1>\r\nCall-ID: nosdp\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');
    await until(() => replies.some((r) => r.startsWith('SIP/2.0 488')) && replies.some((r) => r.startsWith('SIP/2.0 200')), 'OPTIONS answered and an INVITE without SDP refused');
    // TCP: a connection sending endless headers is cut off.
    const tcp = net.connect(suite.server.sipPort!, '127.0.0.1');
    await new Promise((resolve) => tcp.on('connect', resolve));
    tcp.write('INVITE sip:x SIP/2.0\r\n' + 'X-Filler: y\r\n'.repeat(3000));
    await until(() => tcp.destroyed || tcp.readableEnded, 'the TCP flood cut off', 3000).catch(() => undefined);
    tcp.destroy();
    socket.close();
    expect(await metric('circle_phone_sip_dropped_total', { reason: 'unparsable' })).toBeGreaterThanOrEqual(unparsable + 3);
    const before = (await producerOf(participant).getStats())[0]!.packetCount;
    await sleep(500);
    expect((await producerOf(participant).getStats())[0]!.packetCount).toBeGreaterThan(before + 10);
    expect(participant.connection).toBe('connected');
  });
});

describe('dial-in over TLS with SRTP', () => {
  it('baresip (another maker’s TLS and SRTP) calls over TLS requiring SRTP, keys the PIN, takes the held seat; a plain caller in the room hears it, and it hears them', async () => {
    const room = 'phone-tls';
    const { facilitator, clientId, pin, dropBrowser } = await group(room);
    await dropBrowser();
    // Ben, in the same room by plain RTP over UDP (sipp; his phone carries the voice of his browser's seat), speaks 880 Hz;
    // the TLS caller's file is 440 Hz.
    const ben = await suite.seat(room, 'Ben', 'client');
    await facilitator.ok('admit', { participantId: ben.participantId });
    saysYesToCalls(ben.client);
    const benPin = (ben.result as { dialIn?: { pin: string } }).dialIn!.pin;
    const plain = await call([{ keys: `${benPin}#` }, { awaitBye: true }]);
    await voiceByPhone(room, ben.participantId);
    plain.speak(880);

    const secure = await Baresip.call(`sip:circle@127.0.0.1:${tlsPort};transport=tls`, { caFile: certificates.caFile, toneHz: 440 });
    try {
      expect(secure.log).toContain('SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)');
      await secure.keys(`${pin}#`);
      const participant = await seatedByPhone(room, clientId);
      expect(participant.role).toBe('client');
      // What Circle decrypted is the caller's voice: the plain caller hears the tone in it.
      await until(() => plain.hears(440) > 0.2, 'the plain caller hearing the SRTP caller', 10_000);
      expect(plain.hears(880)).toBeLessThan(0.02); // and not themselves
      await sleep(1500);
    } finally {
      const heard = await secure.stop();
      // What the TLS phone heard, decrypted by baresip: Ben's tone, once it was seated (the prompts before it).
      const windows = Array.from({ length: Math.floor(heard.length / 2000) - 1 }, (_, i) => toneShare(heard.subarray(i * 2000, i * 2000 + 4000), 880));
      expect(Math.max(...windows)).toBeGreaterThan(0.2);
    }
  });

  it('SRTP keys offered over plain UDP are refused (488): they would cross the network in clear', async () => {
    const socket = dgram.createSocket('udp4');
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(data.toString()));
    const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 7).toString('base64')}`, ''].join('\r\n');
    const invite = `INVITE sip:circle@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKsrtp\r\nFrom: <sip:a@b>;tag=3\r\nTo: <sip:circle@127.0.0.1>\r\nCall-ID: srtp-over-udp\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:9>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
    await new Promise((resolve) => socket.send(invite, suite.server.sipPort!, '127.0.0.1', resolve));
    await until(() => replies.some((r) => r.startsWith('SIP/2.0 488')), 'the refusal');
    socket.close();
  });
});

const trunkTlsPort = await freePort();
describe('dial-in over TLS from an authenticated trunk', () => {
  const trunkOnly = circleSuite({
    phone: { allowedMediaNetworks: ownAddresses, tls: { port: trunkTlsPort, certFile: certificates.certFile, keyFile: certificates.keyFile, clientCaFile: certificates.caFile } },
    sessions: { resumeGraceMs: 8000 },
  });
  it('with phone.tls.clientCaFile, a trunk presenting a certificate from that CA calls in; one without is refused in the handshake and counted', async () => {
    const dropped = async () => sample(await trunkOnly.server.circle.metrics.registry.metrics(), 'circle_phone_sip_dropped_total', { reason: 'unauthenticated' }) ?? 0;
    const before = await dropped();
    await expect(Baresip.call(`sip:circle@127.0.0.1:${trunkTlsPort};transport=tls`, { caFile: certificates.caFile, toneHz: 440 })).rejects.toThrow(/timed out waiting for the call to be answered/);
    expect(await dropped()).toBeGreaterThan(before);

    const lead = await trunkOnly.seat('phone-trunk', 'Fran', 'facilitator');
    const ana = await trunkOnly.seat('phone-trunk', 'Ana', 'client');
    await lead.client.ok('admit', { participantId: ana.participantId });
    ana.client.socket.io.engine.close();
    const seat = () => trunkOnly.server.circle.registry.get('phone-trunk')?.participant(ana.participantId);
    await until(() => seat()?.connection === 'reconnecting', 'the seat held');
    const trunk = await Baresip.call(`sip:circle@127.0.0.1:${trunkTlsPort};transport=tls`, { caFile: certificates.caFile, toneHz: 440, clientCertificate: certificates.clientFile });
    try {
      await trunk.keys(`${(ana.result as { dialIn?: { pin: string } }).dialIn!.pin}#`);
      await until(() => seat()?.channel.isCall && (seat()?.media.producers.size ?? 0) > 0, 'the trunk’s caller in the seat', 15_000);
    } finally {
      await trunk.stop();
    }
  });
});

describe('dial-in: the room’s rules reach the phone', () => {
  it('hard mute pauses the caller at the SFU; *6 cannot undo it; after an ask, *6 unmutes; *9 raises and lowers the hand', async () => {
    const { facilitator, clientId, pin, dropBrowser } = await group('phone-rules');
    await dropBrowser();
    const caller = await call([{ keys: `${pin}#` }, { pauseMs: 2500 }, { keys: '*6' }, { pauseMs: 2500 }, { keys: '*6' }, { pauseMs: 1500 }, { keys: '*9' }, { pauseMs: 1500 }, { keys: '*9' }, { awaitBye: true }]);
    const participant = await seatedByPhone('phone-rules', clientId);
    const room = suite.server.circle.registry.get('phone-rules')!;
    await facilitator.ok('mute', { participantId: clientId });
    expect(producerOf(participant).paused).toBe(true);
    // The first *6 (at ~2.5 s) is refused: the lock holds.
    await sleep(3000);
    expect(producerOf(participant).paused).toBe(true);
    await facilitator.ok('askToUnmute', { participantId: clientId });
    await until(() => !producerOf(participant).paused, 'the second *6 to unmute', 5000);
    // Read from the staff's floor updates, in order: a poll of the floor could miss a raise and a lower that a busy
    // machine handles in one turn of the event loop.
    const handRaised = () => facilitator.events('floorUpdated').map((floor) => (floor as FloorView).queue.includes(clientId));
    await until(() => handRaised().includes(true), '*9 to raise the hand', 8000);
    await until(() => handRaised().slice(handRaised().indexOf(true)).includes(false), '*9 again to lower it', 8000);
    expect(room.floor.view().queue).not.toContain(clientId);
    caller.close();
  });

  it('a break: the caller hears it announced, is paused at the SFU meanwhile, and hears its end', async () => {
    const { facilitator, clientId, pin, dropBrowser } = await group('phone-break');
    await dropBrowser();
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const participant = await seatedByPhone('phone-break', clientId);
    /** Loudness of what the caller heard over the last `ms` (RMS of the samples): a prompt, in a silent room. */
    const loudness = (ms: number) => {
      const samples = caller.heard.slice(-Math.ceil(ms / 20)).flatMap((frame) => [...frame]);
      return Math.sqrt(samples.reduce((sum, sample) => sum + sample * sample, 0) / Math.max(1, samples.length));
    };
    await until(() => loudness(1000) < 50, 'the prompts of joining over', 15_000);
    await facilitator.ok('startBreak', { minutes: 5 });
    expect(producerOf(participant).paused).toBe(true);
    await until(() => loudness(500) > 300, 'the break announced', 5000);
    await until(() => loudness(1000) < 50, 'the announcement over', 15_000);
    await facilitator.ok('endBreak', {});
    expect(producerOf(participant).paused).toBe(false);
    await until(() => loudness(500) > 300, 'the end of the break announced', 5000);
    caller.close();
  });

  it('each space takes each voice once; a side room parts callers at the SFU, and they hear each other again on return', async () => {
    const room = 'phone-spaces';
    const facilitator = await suite.seat(room, 'Fran', 'facilitator');
    const phones: { id: string; caller: SipCaller; hz: number }[] = [];
    for (const [name, hz] of [['Ana', 440], ['Ben', 660], ['Cy', 880]] as const) {
      const client = await suite.seat(room, name, 'client');
      await facilitator.client.ok('admit', { participantId: client.participantId });
      saysYesToCalls(client.client);
      const caller = await call([{ keys: `${(client.result as { dialIn?: { pin: string } }).dialIn!.pin}#` }, { awaitBye: true }]);
      await voiceByPhone(room, client.participantId);
      caller.speak(hz);
      phones.push({ id: client.participantId, caller, hz });
    }
    const [ana, ben, cy] = phones as [(typeof phones)[0], (typeof phones)[0], (typeof phones)[0]];
    const receiverIn = (space: string | null) => suite.server.circle.phone!.receiverIn(suite.server.circle.registry.get(room)!, space);
    const takenIn = (space: string | null) => [...(receiverIn(space)?.consumers.values() ?? [])].map((consumer) => consumer.appData.participantId).sort();
    /** Each of `group` hears all the others of it, and not itself, nor anyone of `apart`. */
    const hearing = (group: typeof phones, apart: typeof phones, what: string) =>
      until(
        () =>
          group.every(({ caller, hz }) => caller.hears(hz, 300) < 0.02 && group.every((other) => other.hz === hz || caller.hears(other.hz, 300) > 0.1)) &&
          group.every(({ caller }) => apart.every((other) => caller.hears(other.hz, 300) < 0.02)),
        what,
        8000,
      );

    await hearing(phones, [], 'the three callers hearing each other, none itself');
    // Three callers hearing each other: three voices taken, once each (a consumer per caller per voice was six).
    expect(takenIn(null)).toEqual([ana.id, ben.id, cy.id].sort());
    // Their speaking time is counted from the audio levels the bridge writes in each packet, as for a page.
    const talk = () => (facilitator.client.events('talkUpdated') as { participants: TalkEntry[] }[]).at(-1)?.participants ?? [];
    await until(() => phones.every(({ id }) => (talk().find((entry) => entry.participantId === id)?.spokenSeconds ?? 0) > 0), 'the callers’ speaking time at the staff', 8000);

    const { sideRoomId } = await facilitator.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: [ben.id] });
    // By the time the facilitator's request is answered, the group no longer takes Ben's voice at the SFU.
    expect(takenIn(null)).toEqual([ana.id, cy.id].sort());
    await hearing([ana, cy], [ben], 'Ana and Cy hearing each other, not Ben');
    await hearing([ben], [ana, cy], 'Ben in the side room hearing no one of the group');

    await facilitator.client.ok('moveToSideRoom', { participantId: cy.id, sideRoomId });
    expect(takenIn(null)).toEqual([ana.id]);
    await hearing([ben, cy], [ana], 'Ben and Cy hearing each other in the side room, not Ana');
    expect(takenIn(sideRoomId)).toEqual([ben.id, cy.id].sort());

    await facilitator.client.ok('closeSideRoom', { sideRoomId });
    await hearing(phones, [], 'the three hearing each other again');
    // The side room's listener closed with its last caller.
    expect(receiverIn(sideRoomId)).toBeUndefined();
  });

  it('queue mode silences the caller at the SFU until given the floor', async () => {
    const { facilitator, clientId, pin, dropBrowser } = await group('phone-queue');
    await dropBrowser();
    await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const participant = await seatedByPhone('phone-queue', clientId);
    expect(producerOf(participant).paused).toBe(false);
    await facilitator.ok('setFloorMode', { mode: 'queue' });
    await until(() => producerOf(participant).paused, 'paused in queue mode');
    await facilitator.ok('grantFloor', { participantId: clientId });
    await until(() => !producerOf(participant).paused, 'heard with the floor');
  });
});

describe('dial-in: a phone-only seat', () => {
  it('the clinic creates a seat by API; the caller waits in the lobby (the facilitator sees them), is admitted and heard; the end of the session hangs up', async () => {
    const facilitator = await suite.seat('phone-only', 'Fran', 'facilitator');
    const response = await fetch(`${suite.server.adminUrl}/admin/rooms/phone-only/dial-in`, {
      method: 'POST',
      headers: { authorization: `Bearer ${suite.server.circle.config.admin.bearerSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ participantId: 'pat-phone', name: 'Pat' }),
    });
    expect(response.status).toBe(200);
    const { pin, expiresAt } = (await response.json()) as { pin: string; expiresAt: string };
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const refused = await fetch(`${suite.server.adminUrl}/admin/rooms/phone-only/dial-in`, {
      method: 'POST',
      headers: { authorization: `Bearer ${suite.server.circle.config.admin.bearerSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ participantId: 'x', name: 'X', role: 'facilitator' }),
    });
    expect(refused.status).toBe(400);
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    await until(
      () => (facilitator.client.events('lobbyUpdated') as { waiting: { participantId: string; displayName: string }[] }[]).some((l) => l.waiting.some((w) => w.participantId === 'pat-phone' && w.displayName === 'Pat')),
      'Pat in the waiting room',
    );
    await facilitator.client.ok('admit', { participantId: 'pat-phone' });
    const participant = await seatedByPhone('phone-only', 'pat-phone');
    expect(participant.admitted).toBe(true);
    // The facilitator ends the session: the caller hears so and Circle hangs up (sipp succeeds on our BYE).
    await facilitator.client.ok('end', {});
    expect(await caller.exited).toBe(0);
    expect(await metric('circle_phone_calls_total', { outcome: 'joined' })).toBeGreaterThan(0);
  });
});

describe('dial-in: an end-to-end encrypted session', () => {
  it('takes no calls: its pages are offered no PIN, and a caller with a phone-only PIN hears why and is hung up', async () => {
    const room = 'phone-encrypted';
    await suite.server.circle.registry.configureSession(room, { e2eeMode: 'preferred' });
    const facilitator = await suite.seat(room, 'Fran', 'facilitator');
    expect(facilitator.result).toMatchObject({ e2ee: 'preferred' });
    expect((facilitator.result as { dialIn?: unknown }).dialIn).toBeUndefined();
    const pin = await phoneOnlyPin(room, 'pat-phone', 'Pat');
    const unavailable = await metric('circle_phone_calls_total', { outcome: 'unavailable' });
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    const keyed = Date.now();
    expect(await caller.exited).toBe(0);
    // Hung up after the whole of the prompt that says why (7.8 s; "cannot be reached right now" is 5.8 s).
    expect(Date.now() - keyed).toBeGreaterThan(7000);
    expect(await metric('circle_phone_calls_total', { outcome: 'unavailable' })).toBe(unavailable + 1);
    expect(suite.server.circle.registry.get(room)?.participant('pat-phone')).toBeUndefined();
    expect(facilitator.client.events('lobbyUpdated').some((l) => JSON.stringify(l).includes('pat-phone'))).toBe(false);
  });
});

/** What a listener at the SFU takes of a call's voice over `ms`: μ-law as it passes the router, and opened with `keys`. */
async function tapCall(room: string, participant: Participant, keys: FrameKeyRing, ms = 1500) {
  const router = suite.server.circle.registry.get(room)!.router;
  const transport = await router.createDirectTransport();
  const consumer = await transport.consume({ producerId: producerOf(participant).id, rtpCapabilities: router.rtpCapabilities });
  const payloads: Buffer[] = [];
  consumer.on('rtp', (packet) => payloads.push(RtpPacket.deSerialize(packet).payload));
  await sleep(ms);
  transport.close();
  const join = (frames: Uint8Array[]) => alawmulaw.mulaw.decode(Buffer.concat(frames));
  const opened: Uint8Array[] = [];
  let unopened = 0;
  for (const payload of payloads) {
    try {
      opened.push(await openMediaFrame(keys.keyFor, 'opus', payload as Uint8Array as Bytes));
    } catch {
      unopened += 1;
    }
  }
  return { packets: payloads.length, unopened, asSent: toneShare(join(payloads), 440), opened: toneShare(join(opened), 440) };
}

/**
 * An encrypted session that takes calls, with Fran its facilitator: a bot that is a member of the group (as a page is)
 * and speaks 880 Hz, each Opus frame sealed with the group's keys as a page's worker seals it, and admits whoever knocks.
 */
async function speakingFacilitator(room: string): Promise<{ fran: KeyMember; bot: MediaBot; clock: MediaClock }> {
  await suite.server.circle.registry.configureSession(room, { e2eeMode: 'required', e2eeDialIn: 'allowed' });
  let fran: KeyMember | undefined;
  const bot = await MediaBot.join(suite.server.url, room, 'Fran', 'facilitator', undefined, (client, participantId) => {
    fran = new KeyMember({ participantId, role: 'facilitator', displayName: 'Fran' }, client);
  });
  bot.admitEveryone();
  await bot.startMedia({ audio: true, videoLayers: 0, opusFrames: opusFrames(880), seal: fran!.seal });
  const clock = new MediaClock();
  clock.add(bot);
  return { fran: fran!, bot, clock };
}

describe('dial-in: an end-to-end encrypted session that allows calls', () => {
  it('the bridge joins the circles as the caller’s phone, named so in the group’s own membership; her voice is sealed past the router and opens with the members’ keys; she hears a member’s sealed voice', async () => {
    const room = 'phone-encrypted-calls';
    const { fran, bot, clock } = await speakingFacilitator(room);
    try {
      const caller = await call([{ keys: `${await phoneOnlyPin(room, 'pat-phone', 'Pat')}#` }, { awaitBye: true }]);
      caller.speak(440);
      const participant = await seatedByPhone(room, 'pat-phone');
      // Fran's own group lists Pat's phone: the bridge is a member everyone sees, not a listener the server hides.
      const withPhone = await until(() => fran.latest()?.members.find((m) => m.participantId === 'pat-phone/phone'), "Pat's phone in Fran's group", 10_000);
      expect(withPhone).toMatchObject({ displayName: 'Pat', role: 'client', phone: true });
      expect(fran.latest()!.members).toHaveLength(2);
      // Pat hears Fran: the bridge opened her sealed frames.
      await until(() => caller.hears(880) > 0.2, 'Pat hearing Fran', 10_000);
      // What passes the router from the call is sealed: as sent it is not Pat's voice; with the group's keys it is.
      const tapped = await tapCall(room, participant, await fran.ring());
      console.log(`an encrypted call at the router: ${tapped.packets} packets, tone share as sent ${tapped.asSent.toFixed(3)}, opened ${tapped.opened.toFixed(3)}, ${tapped.unopened} unopened`);
      expect(tapped.packets).toBeGreaterThan(50);
      expect(tapped.asSent).toBeLessThan(0.05);
      expect(tapped.unopened).toBe(0);
      expect(tapped.opened).toBeGreaterThan(0.2);
      expect(fran.failures).toEqual([]);
    } finally {
      clock.stop();
      bot.close();
    }
  });

  it('a page and the call carrying its voice are two members of one seat: the phone joins beside the page when the page says yes, and leaves when the call goes', async () => {
    const room = 'phone-encrypted-leg';
    await suite.server.circle.registry.configureSession(room, { e2eeMode: 'required', e2eeDialIn: 'allowed' });
    const pageOf = async (name: string, role: string) => {
      const { token, participantId } = await devToken(suite.server.url, { room, name, role });
      const client = suite.track(await connect(suite.server.url));
      const member = new KeyMember({ participantId, role, displayName: name }, client);
      const joined = await client.ok<{ dialIn?: { pin: string } }>('join', { token, e2ee: true });
      return { client, member, participantId, joined };
    };
    const fran = await pageOf('Fran', 'facilitator');
    const ana = await pageOf('Ana', 'client');
    await fran.client.ok('admit', { participantId: ana.participantId });
    const pages = [fran.member, ana.member];
    const groupOf = (member: KeyMember) => member.latest()?.members.map((m) => `${m.displayName}${m.phone ? ' (phone)' : ''}`).sort();
    await until(() => pages.every((member) => groupOf(member)?.length === 2), 'Fran and Ana agreeing keys', 10_000);
    // The session takes calls: Ana's page is offered her PIN. Her call asks her page first; she says yes.
    saysYesToCalls(ana.client);
    const caller = await call([{ keys: `${ana.joined.dialIn!.pin}#` }, { awaitBye: true }]);
    await voiceByPhone(room, ana.participantId);
    await until(() => pages.every((member) => groupOf(member)?.join() === 'Ana,Ana (phone),Fran'), "Ana's phone beside her page, in both pages' group", 10_000);
    // The call goes (no more RTP: held, then let go as a leg): Ana's page keeps its seat and keys; her phone is out.
    caller.close();
    await until(() => pages.every((member) => groupOf(member)?.join() === 'Ana,Fran'), "Ana's phone out of the group", 10_000);
    expect([...fran.member.failures, ...ana.member.failures]).toEqual([]);
  });
});

describe('dial-in: side rooms of an encrypted session that allows calls', () => {
  it('callers moved into a side room agree its keys among their phones and hear each other; the group outside, holding every key of its own, opens none of it; back, all hear each other', async () => {
    const room = 'phone-encrypted-spaces';
    await suite.server.circle.registry.configureSession(room, { e2eeMode: 'required', e2eeDialIn: 'allowed' });
    const { token, participantId: franId } = await devToken(suite.server.url, { room, name: 'Fran', role: 'facilitator' });
    const fran = suite.track(await connect(suite.server.url));
    const franKeys = new KeyMember({ participantId: franId, role: 'facilitator', displayName: 'Fran' }, fran);
    await fran.ok('join', { token, e2ee: true });
    const phones: { id: string; caller: SipCaller; hz: number }[] = [];
    for (const [name, hz] of [['Ana', 440], ['Ben', 660], ['Cy', 880]] as const) {
      const id = `${name.toLowerCase()}-phone`;
      const caller = await call([{ keys: `${await phoneOnlyPin(room, id, name)}#` }, { awaitBye: true }]);
      await until(() => suite.server.circle.registry.get(room)?.participant(id), `${name} knocking`);
      await fran.ok('admit', { participantId: id });
      await seatedByPhone(room, id);
      caller.speak(hz);
      phones.push({ id, caller, hz });
    }
    const [ana, ben, cy] = phones as [(typeof phones)[0], (typeof phones)[0], (typeof phones)[0]];
    const hearing = (group: typeof phones, apart: typeof phones, what: string) =>
      until(
        () =>
          group.every(({ caller }) => group.every((other) => other.caller === caller || caller.hears(other.hz, 300) > 0.1)) &&
          group.every(({ caller }) => apart.every((other) => caller.hears(other.hz, 300) < 0.02)),
        what,
        10_000,
      );
    await until(() => franKeys.latest()?.members.length === 4, 'Fran and the three phones in one group', 10_000);
    await hearing(phones, [], 'the three callers hearing each other');

    const { sideRoomId } = await fran.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: [ben.id, cy.id] });
    await hearing([ben, cy], [ana], 'Ben and Cy hearing each other in the side room, not Ana');
    await hearing([ana], [ben, cy], 'Ana hearing neither');
    // Only their phones hold the side room's keys: a tap holding the group's, Fran's, opens nothing Ben says there.
    const tapped = await tapCall(room, await seatedByPhone(room, ben.id), await franKeys.ring());
    expect(tapped.packets).toBeGreaterThan(50);
    expect(tapped.unopened).toBe(tapped.packets);
    expect(tapped.asSent).toBeLessThan(0.05);
    expect(franKeys.latest()?.members).toHaveLength(4); // the group's keys unchanged by the side room

    await fran.ok('closeSideRoom', { sideRoomId });
    await hearing(phones, [], 'the three hearing each other again');
    expect(franKeys.failures).toEqual([]);
  });
});

describe('dial-in: a media worker dies', () => {
  // Last in this file: the worker it kills runs every room of the suite's server.
  it('the browser and the call carrying its voice both come back, in either order, and the call still carries the voice', async () => {
    const room = 'phone-worker';
    const { client, clientId, pin, resumeToken } = await group(room);
    const caller = await call([{ keys: `${pin}#` }, { awaitBye: true }]);
    await voiceByPhone(room, clientId);
    let token = resumeToken;
    const seatHere = () => suite.server.circle.registry.get(room)?.participant(clientId);
    for (const phoneFirst of [true, false]) {
      const told = client.next('reconnectRequired');
      process.kill(suite.server.circle.registry.get(room)!.mediaWorker.worker.pid, 'SIGKILL');
      await told;
      // The call rejoins by itself; the browser resumes as the SDK does: after the call is back, or at once.
      if (phoneFirst) await until(() => seatHere()?.connectionChannel.isCall && seatHere()?.connection === 'connected', 'the call back first', 10_000);
      const resumed = await until(async () => client.ok<{ resumeToken: string }>('resume', { resumeToken: token }).catch(() => undefined), 'the browser back', 10_000);
      token = resumed.resumeToken;
      const participant = await voiceByPhone(room, clientId);
      await until(async () => ((await producerOf(participant).getStats())[0]?.packetCount ?? 0) > 20, "the call's voice at the SFU");
      expect(participant.connection).toBe('connected');
      expect(caller.sipp.exitCode).toBeNull();
    }
  });

  it('under encryption, the call comes back into its seat by itself and its phone is asked into the new group with the member who resumed', async () => {
    const room = 'phone-encrypted-worker';
    const { fran, bot, clock } = await speakingFacilitator(room);
    try {
      const caller = await call([{ keys: `${await phoneOnlyPin(room, 'pat-phone', 'Pat')}#` }, { awaitBye: true }]);
      caller.speak(440);
      await seatedByPhone(room, 'pat-phone');
      const inGroup = () => fran.latest()?.members.some((m) => m.participantId === 'pat-phone/phone');
      await until(inGroup, "Pat's phone in Fran's group", 10_000);
      await until(() => caller.hears(880) > 0.2, 'Pat hearing Fran', 10_000);
      const before = fran.latest()!;

      process.kill(suite.server.circle.registry.get(room)!.mediaWorker.worker.pid, 'SIGKILL');
      // The call takes its seat again by itself; Fran resumes as her page would.
      await until(() => suite.server.circle.registry.get(room)?.participant('pat-phone')?.connection === 'connected', 'the call back in its seat', 15_000);
      const resumed = await resumeFollowingMoves(suite.server.url, bot.result.resumeToken, { timeoutMs: 15_000, e2ee: true, connected: (client) => fran.reconnected(client) });
      suite.track(resumed.client);
      await until(() => fran.latest()?.verificationCode !== before.verificationCode && inGroup(), "Pat's phone in the new group", 15_000);
      expect(fran.latest()!.members).toHaveLength(2);
      // The call's voice reaches the SFU again, sealed with the new group's keys.
      const participant = await seatedByPhone(room, 'pat-phone');
      const tapped = await tapCall(room, participant, await fran.ring());
      expect(tapped.packets).toBeGreaterThan(50);
      expect(tapped.unopened).toBeLessThan(3);
      expect(tapped.opened).toBeGreaterThan(0.2);
      expect(caller.sipp.exitCode).toBeNull();
    } finally {
      clock.stop();
      bot.close();
    }
  });
});
