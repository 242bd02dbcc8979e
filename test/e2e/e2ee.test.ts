// End-to-end encryption in Chromium, with the proof that the server cannot hear: two pages send tones (and one its
// camera) with every frame sealed in the page (SFrame in an encoded-transform worker, keys agreed with MLS). They hear
// each other's tones and see the picture, and both list the same members, read from the group itself, under the same
// verification code; a supervisor who joins is listed by name to the staff and counted to the client. A tap of the
// test's own at the router (a consumer on a DirectTransport, decoding Opus as any listener at the SFU would) hears no
// tone. The same tap in a session without encryption hears it.
import { Decoder } from '@evan/opus';
import { RtpPacket } from 'werift-rtp';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { joinFromDemo, participantIdOf, sdk } from '../../harness/browser.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { SipCaller, toneShare } from '../../harness/sip-caller.js';
import { heardAfter, heardTones, installEar } from '../../harness/tones.js';
import { pcmSamples } from '../../src/phone/phone-audio.js';
import { FrameKeyRing } from '../../src/e2ee/frame-keys.js';
import { openMediaFrame } from '../../src/e2ee/media-frames.js';
import type { Bytes } from '../../src/e2ee/sframe.js';
import { connect, devToken } from '../../harness/signaling.js';
import { KeyMember } from '../../harness/key-member.js';
import { browserSuite } from '../helpers/fixtures.js';
import { until } from '../helpers/until.js';

const suite = browserSuite({ e2ee: { mode: 'required' }, rooms: { requireAdmission: false }, mediasoup: { numWorkers: 2, workerRespawnDelayMs: 100 } });
let plain: RunningCircle;
beforeAll(async () => {
  // Its workers as the encrypted server's: a worker's death costs the same there, but for the encryption.
  plain = await startCircle({ rooms: { requireAdmission: false }, mediasoup: { numWorkers: 2, workerRespawnDelayMs: 100 } });
});
afterAll(async () => {
  await plain?.stop();
});

const FRAN = 440;
const ANA = 830;
const BEN = 1250;
/** A caller's tone, within the phone's band. */
const CALLER = 600;

/**
 * What a listener at the SFU hears of a participant's microphone over `ms`: RTP taken from the router, Opus decoded;
 * with `keys`, a listener who also holds a member's keys, opening each frame first (`unopened`: those it could not).
 */
async function tapAtRouter(server: RunningCircle, roomId: string, participantId: string, hz: number, { ms = 2000, keys }: { ms?: number; keys?: FrameKeyRing } = {}) {
  const room = server.circle.registry.get(roomId)!;
  const microphone = [...room.participant(participantId)!.media.producers.values()].find((p) => p.kind === 'audio')!;
  const transport = await room.router.createDirectTransport();
  const consumer = await transport.consume({ producerId: microphone.id, rtpCapabilities: room.router.rtpCapabilities });
  const decoder = new Decoder({ channels: 1, sample_rate: 8000 });
  const heard: Int16Array[] = [];
  let packets = 0;
  let undecodable = 0;
  let unopened = 0;
  let opening = Promise.resolve();
  consumer.on('rtp', (packet) => {
    packets += 1;
    const payload = RtpPacket.deSerialize(packet).payload;
    opening = opening.then(async () => {
      let frame: Uint8Array = payload;
      if (keys) {
        try {
          frame = await openMediaFrame(keys.keyFor, 'opus', payload as Bytes);
        } catch {
          unopened += 1;
          return;
        }
      }
      try {
        heard.push(pcmSamples(decoder.decode(frame)));
      } catch {
        undecodable += 1;
      }
    });
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  transport.close();
  await opening;
  const samples = new Int16Array(heard.reduce((n, h) => n + h.length, 0));
  heard.reduce((offset, h) => (samples.set(h, offset), offset + h.length), 0);
  return { packets, undecodable, unopened, share: toneShare(samples, hz) };
}

const encryptionOf = (page: Page) =>
  page.evaluate(() => {
    const state = (window as unknown as { circle: { client: { encryption: { state: { epoch: bigint; members: { displayName: string; role: string }[]; verificationCode: string } | null } } } }).circle.client.encryption.state;
    return state && { epoch: Number(state.epoch), members: state.members.map((m) => `${m.displayName} (${m.role})`).sort(), code: state.verificationCode };
  });

async function pair(server: RunningCircle, room: string): Promise<{ fran: Page; ana: Page }> {
  const fran = await joinFromDemo(suite.browser, server.url, room, 'Fran', 'facilitator', { video: false, toneHz: FRAN });
  const ana = await joinFromDemo(suite.browser, server.url, room, 'Ana', 'client', { video: true, toneHz: ANA });
  await installEar(fran, [FRAN, ANA]);
  await installEar(ana, [FRAN, ANA]);
  await until(async () => (await heardTones(fran)).includes(ANA) && (await heardTones(ana)).includes(FRAN), 'Fran and Ana hearing each other', 20_000);
  return { fran, ana };
}

it('with E2EE the pages hear and see each other and list who holds the keys; a tap at the router hears no tone', async () => {
  const { fran, ana } = await pair(suite.server, 'e2ee-on');
  // The picture decodes too: VP8's frame header stays in clear for the SFU and the packetiser, the rest is sealed.
  await until(
    () => fran.evaluate(async () => ((await (window as unknown as { circle: { client: { inboundStats(k: string): Promise<{ frameWidth?: number }[]> } } }).circle.client.inboundStats('video'))[0]?.frameWidth ?? 0) > 0),
    'Fran decoding Ana’s video',
    15_000,
  );
  const [franSees, anaSees] = [await encryptionOf(fran), await encryptionOf(ana)];
  expect(franSees).toEqual(anaSees);
  expect(franSees!.members).toEqual(['Ana (client)', 'Fran (facilitator)']);
  expect(franSees!.code).toMatch(/^\d{3} \d{3} \d{3}$/);
  expect(await fran.evaluate(() => document.querySelector('#encryption')?.textContent ?? '')).toContain('End-to-end encrypted');

  // A supervisor joins: a member like any other, named to the staff, counted to the client.
  await joinFromDemo(suite.browser, suite.server.url, 'e2ee-on', 'Sam', 'observer', { video: false });
  const section = (page: Page) => page.evaluate(() => document.querySelector('#encryption')?.textContent ?? '');
  await until(async () => (await section(fran)).includes('Sam (observer)') && (await section(ana)).includes('1 supervisor can hear'), 'the supervisor listed', 10_000);
  expect(await section(ana)).not.toContain('Sam');

  const tapped = await tapAtRouter(suite.server, 'e2ee-on', await participantIdOf(ana), ANA);
  console.log(`tap at the router with E2EE: ${tapped.packets} packets, ${tapped.undecodable} undecodable, tone share ${tapped.share.toFixed(4)}`);
  expect(tapped.packets).toBeGreaterThan(25);
  expect(tapped.share).toBeLessThan(0.02);
}, 90_000);

it('a page whose encryption worker cannot start sends nothing and leaves its seat, saying why', async () => {
  const page = await suite.browser.newPage({ type: 'window' });
  await page.setRequestInterception(true);
  page.on('request', (request) => void (request.url().endsWith('/e2ee-worker.js') ? request.respond({ status: 404, body: '' }) : request.continue()));
  await page.goto(`${suite.server.url}/?room=e2ee-broken`, { waitUntil: 'load' });
  const refused = await page.evaluate(() =>
    (window as unknown as { circle: { join(a: string, b: string, c: string, m: object): Promise<void> } }).circle.join('e2ee-broken', 'Ana', 'client', { video: false }).then(
      () => 'joined',
      (error: Error) => error.message,
    ),
  );
  expect(refused).toMatch(/encryption worker .* could not start/);
  await until(() => (suite.server.circle.registry.get('e2ee-broken')?.participants.size ?? 0) === 0, 'the seat given up', 5000);
}, 60_000);

it('a preferred session lets in a browser that cannot encrypt: everyone goes clear and every page says why; once it leaves, sealed again', async () => {
  const room = 'e2ee-preferred';
  await suite.server.circle.registry.configureSession(room, { e2eeMode: 'preferred' });
  const { fran, ana } = await pair(suite.server, room);
  const anaId = await participantIdOf(ana);
  const section = (page: Page) => page.evaluate(() => document.querySelector('#encryption')?.textContent ?? '');
  expect((await tapAtRouter(suite.server, room, anaId, ANA)).share).toBeLessThan(0.02);

  const ben = await joinFromDemo(suite.browser, suite.server.url, room, 'Ben', 'client', { video: false, toneHz: BEN, cannotEncrypt: true });
  await installEar(ben, [FRAN, ANA, BEN]);
  await installEar(fran, [FRAN, ANA, BEN]);
  const inClear = Date.now();
  await until(
    async () => (await heardTones(fran)).includes(BEN) && (await heardTones(ben)).includes(FRAN) && (await heardTones(ben)).includes(ANA),
    'Ben and the others hearing each other',
    20_000,
  );
  console.log(`a browser that cannot encrypt heard both ways ${Date.now() - inClear} ms after it joined`);
  for (const page of [fran, ana]) expect(await section(page)).toBe('Not end-to-end encrypted: Ben’s browser cannot encrypt');
  expect(await section(ben)).toBe('This browser cannot encrypt: the session is not end-to-end encrypted');
  // Said honestly because it is so: the server can hear everyone now.
  expect((await tapAtRouter(suite.server, room, anaId, ANA)).share).toBeGreaterThan(0.1);

  expect(await sdk(ben, 'leave')).toEqual({ ok: true });
  await until(async () => (await section(fran)).startsWith('End-to-end encrypted') && (await section(ana)).startsWith('End-to-end encrypted'), 'sealed again', 10_000);
  await until(async () => (await heardTones(fran)).includes(ANA) && (await heardTones(ana)).includes(FRAN), 'Fran and Ana hearing each other, sealed', 10_000);
  expect((await tapAtRouter(suite.server, room, anaId, ANA)).share).toBeLessThan(0.02);
}, 120_000);

const receivedOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { circle: { client: { encryption: { received: { unopened: number; late: number } } } } }).circle.client.encryption.received);

it('epochs change under two speaking pages (two join, one is removed, one leaves): the frames sealed with a new epoch first are held for its keys, and none is dropped', async () => {
  const room = 'e2ee-epochs';
  const { fran, ana } = await pair(suite.server, room);
  const membersOf = async (page: Page) => (await encryptionOf(page))?.members.length;
  const settled = (count: number) => until(async () => (await membersOf(fran)) === count && (await membersOf(ana)) === count, `both pages holding ${count} members`, 10_000);
  // The worker reports once a second: what came before the changes, counted apart.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const before = [await receivedOf(fran), await receivedOf(ana)];

  const ben = await joinFromDemo(suite.browser, suite.server.url, room, 'Ben', 'client', { video: false });
  await settled(3);
  const cara = await joinFromDemo(suite.browser, suite.server.url, room, 'Cara', 'client', { video: false });
  await settled(4);
  expect(await sdk(fran, 'remove', await participantIdOf(cara))).toEqual({ ok: true });
  await settled(3);
  expect(await sdk(ben, 'leave')).toEqual({ ok: true });
  await settled(2);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const after = [await receivedOf(fran), await receivedOf(ana)];

  const [franDelta, anaDelta] = after.map((counts, i) => ({ unopened: counts.unopened - before[i]!.unopened, late: counts.late - before[i]!.late }));
  console.log(`four epoch changes: Fran dropped ${franDelta!.unopened} frames and held ${franDelta!.late} for their keys; Ana dropped ${anaDelta!.unopened}, held ${anaDelta!.late}`);
  expect(franDelta!.unopened + anaDelta!.unopened).toBe(0);
  await until(async () => (await heardTones(fran)).includes(ANA) && (await heardTones(ana)).includes(FRAN), 'Fran and Ana hearing each other', 10_000);
}, 90_000);

/** Kills the media worker under `room` and answers when both pages hear each other again (ms after the kill). */
async function workerDies(server: RunningCircle, room: string, fran: Page, ana: Page): Promise<number> {
  const died = Date.now();
  process.kill(server.circle.registry.get(room)!.mediaWorker.worker.pid, 'SIGKILL');
  // Silence first (the room closed with its router), then each hears the other again in the room opened anew.
  await until(async () => (await heardAfter(fran, ANA, died)) && (await heardAfter(ana, FRAN, died)), 'Fran and Ana hearing each other again', 30_000);
  return Math.max((await heardAfter(fran, ANA, died))!, (await heardAfter(ana, FRAN, died))!) - died;
}

it('a media worker dies under an encrypted session: the pages come back into their seats, agree keys again and hear each other, sealed (the pause printed beside a plain session’s)', async () => {
  // The same death in a session without encryption first, for the pause it costs there.
  const plainPair = await pair(plain, 'plain-worker-death');
  const plainBack = await workerDies(plain, 'plain-worker-death', plainPair.fran, plainPair.ana);
  await plainPair.fran.close();
  await plainPair.ana.close();
  const room = 'e2ee-worker-death';
  const { fran, ana } = await pair(suite.server, room);
  const worker = suite.server.circle.registry.get(room)!.mediaWorker.worker;
  const back = await workerDies(suite.server, room, fran, ana);
  console.log(`worker killed: both heard again after ${plainBack} ms in a plain session, ${back} ms under encryption`);
  const [franSees, anaSees] = [await encryptionOf(fran), await encryptionOf(ana)];
  expect(franSees).toEqual(anaSees);
  expect(franSees!.members).toEqual(['Ana (client)', 'Fran (facilitator)']);
  const reopened = suite.server.circle.registry.get(room)!;
  expect(reopened.mediaWorker.worker.pid).not.toBe(worker.pid);
  expect((await tapAtRouter(suite.server, room, await participantIdOf(ana), ANA)).share).toBeLessThan(0.02);
}, 90_000);

/** A member of the group in Node, as a page is, holding the group's keys. */
async function groupMember(server: RunningCircle, room: string, name: string) {
  const seat = await devToken(server.url, { room, name, role: 'client' });
  const client = await connect(server.url);
  const member = new KeyMember({ participantId: seat.participantId, role: 'client', displayName: name }, client);
  await client.ok('join', { token: seat.token, e2ee: true });
  return { member, close: () => client.close() };
}

it('a side room is a circle of its own: the two in it hear each other, and a tap holding every key of the group opens nothing they say', async () => {
  const room = 'e2ee-side-room';
  const { fran, ana } = await pair(suite.server, room);
  const anaId = await participantIdOf(ana);
  const gus = await groupMember(suite.server, room, 'Gus');
  await until(async () => gus.member.latest()?.members.length === 3 && (await encryptionOf(fran))?.members.length === 3, 'Gus in the group', 10_000);
  // In the group, whoever holds the group's keys hears Ana: the tap with Gus's keys proves it can open her frames.
  const before = await tapAtRouter(suite.server, room, anaId, ANA, { keys: await gus.member.ring() });
  expect(before.unopened).toBeLessThan(3);
  expect(before.share).toBeGreaterThan(0.1);

  const opened = Date.now();
  expect(await sdk(fran, 'openSideRoom', [anaId])).toEqual({ ok: true });
  const inSideCircle = async (page: Page) => (await encryptionOf(page))?.members.length === 2;
  await until(async () => (await inSideCircle(fran)) && (await inSideCircle(ana)), 'Fran and Ana in the side room’s circle', 10_000);
  console.log(`side room under encryption: Fran and Ana in its own circle ${Date.now() - opened} ms after "open"`);
  await until(async () => (await heardTones(fran)).includes(ANA) && (await heardTones(ana)).includes(FRAN), 'Fran and Ana hearing each other on its keys', 10_000);
  const [franSees, anaSees] = [await encryptionOf(fran), await encryptionOf(ana)];
  expect(franSees).toEqual(anaSees);
  expect(franSees!.members).toEqual(['Ana (client)', 'Fran (facilitator)']);
  expect(await fran.evaluate(() => document.querySelector('#encryption')?.textContent ?? '')).toContain('End-to-end encrypted · side room');

  // Every packet Ana sends, and every key of the group: not one frame opens.
  const inside = await tapAtRouter(suite.server, room, anaId, ANA, { keys: await gus.member.ring() });
  console.log(`tap with the group's keys in the side room: ${inside.packets} packets, ${inside.unopened} unopened`);
  expect(inside.packets).toBeGreaterThan(25);
  expect(inside.unopened).toBe(inside.packets);

  // Back in the group: Ana speaks with the group's keys again.
  const sideRoomId = suite.server.circle.registry.get(room)!.participant(anaId)!.sideRoomId;
  expect(await sdk(fran, 'closeSideRoom', sideRoomId)).toEqual({ ok: true });
  await until(async () => (await tapAtRouter(suite.server, room, anaId, ANA, { ms: 1000, keys: await gus.member.ring() })).share > 0.1, 'the group hearing Ana again', 10_000);
  gus.close();
}, 90_000);

it('a session that allows calls: a caller is a member every page lists as their phone, and page and caller hear each other, sealed past the router', async () => {
  const room = 'e2ee-calls';
  await suite.server.circle.registry.configureSession(room, { e2eeMode: 'required', e2eeDialIn: 'allowed' });
  const fran = await joinFromDemo(suite.browser, suite.server.url, room, 'Fran', 'facilitator', { video: false, toneHz: FRAN });
  await installEar(fran, [FRAN, CALLER]);
  const response = await fetch(`${suite.server.adminUrl}/admin/rooms/${room}/dial-in`, {
    method: 'POST',
    headers: { authorization: `Bearer ${suite.server.circle.config.admin.bearerSecret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ participantId: 'pat-phone', name: 'Pat' }),
  });
  const { pin } = (await response.json()) as { pin: string };
  const caller = await SipCaller.call(suite.server.sipPort!, [{ keys: `${pin}#` }, { awaitBye: true }]);
  try {
    caller.speak(CALLER);
    // A call waits for the staff whatever the room's admission: Fran lets Pat in.
    await until(() => suite.server.circle.registry.get(room)?.participant('pat-phone'), 'Pat knocking');
    expect(await sdk(fran, 'admit', 'pat-phone')).toEqual({ ok: true });
    const section = () => fran.evaluate(() => document.querySelector('#encryption')?.textContent ?? '');
    await until(async () => (await section()).includes('Pat’s phone: their audio passes through the server'), 'Pat’s phone listed on Fran’s page', 15_000);
    expect(await section()).toMatch(/^End-to-end encrypted · code/);
    await until(async () => (await heardTones(fran)).includes(CALLER) && caller.hears(FRAN) > 0.2, 'Fran and Pat hearing each other', 15_000);
    // Past the router Fran's voice is sealed all the same: the bridge opened it for Pat, on the server, as listed.
    const tapped = await tapAtRouter(suite.server, room, await participantIdOf(fran), FRAN);
    expect(tapped.share).toBeLessThan(0.02);
  } finally {
    caller.close();
  }
}, 90_000);

it('without E2EE the same tap hears the tone', async () => {
  const { ana } = await pair(plain, 'e2ee-off');
  const tapped = await tapAtRouter(plain, 'e2ee-off', await participantIdOf(ana), ANA);
  console.log(`tap at the router without E2EE: ${tapped.packets} packets, tone share ${tapped.share.toFixed(4)}`);
  expect(tapped.share).toBeGreaterThan(0.1);
}, 90_000);
