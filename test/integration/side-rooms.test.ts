// Side rooms against the real thing: a real worker forwarding real RTP between bots over real sockets. Who hears
// whom is read from the packets that reach each bot, and from the consumers the SFU holds; the transports must be
// the same objects before, during and after (no new ICE or DTLS). Then a side room through resume, reload and a
// media worker's death, the group's hold when no staff is left in it, and the refusals.
import { afterEach, describe, expect, it } from 'vitest';
import { MediaBot, MediaClock } from '../../load/lib/media-bot.js';
import type { ChatMessage, PeerInfo, RoomView, SelfView } from '../../src/protocol/events.js';
import type { Room } from '../../src/rooms/room.js';
import { circleSuite } from '../helpers/fixtures.js';

const suite = circleSuite({
  load: { botTransports: true },
  sessions: { resumeGraceMs: 10_000 },
  mediasoup: { numWorkers: 2, workerRespawnDelayMs: 100 },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PEOPLE = [['fran', 'facilitator'], ['cole', 'cofacilitator'], ['ana', 'client'], ['ben', 'client'], ['carl', 'client']] as const;

let clock: MediaClock;
let bots: Record<string, MediaBot> = {};
afterEach(() => {
  clock?.stop();
  for (const bot of Object.values(bots)) bot.close();
  bots = {};
});

/** A bot with a microphone, sending real Opus-shaped RTP, under its own participant id. */
async function enter(room: string, participantId: string, role: string): Promise<MediaBot> {
  const bot = await MediaBot.join(suite.server.url, room, participantId, role, participantId);
  if (role === 'facilitator') bot.admitEveryone();
  await bot.startMedia({ audio: true, videoLayers: 0 });
  clock.add(bot);
  return (bots[participantId] = bot);
}

async function group(room: string): Promise<Room> {
  clock = new MediaClock();
  for (const [id, role] of PEOPLE) await enter(room, id, role);
  await hearingSettles(everyoneHearsEveryone());
  return suite.server.circle.registry.get(room)!;
}

function everyoneHearsEveryone(): Record<string, string[]> {
  const ids = Object.keys(bots).sort();
  return Object.fromEntries(ids.map((id) => [id, ids.filter((other) => other !== id)]));
}

/** Over `windowMs`, whose audio packets reached each bot (more than a few: not a straggler in flight). */
async function whoHears(windowMs = 600): Promise<Record<string, string[]>> {
  const ids = Object.keys(bots).sort();
  const before = ids.map((id) => ids.map((other) => bots[id]!.sink.audioFrom(other).received));
  await sleep(windowMs);
  return Object.fromEntries(
    ids.map((id, i) => [id, ids.filter((other, j) => other !== id && bots[id]!.sink.audioFrom(other).received - before[i]![j]! > 10)]),
  );
}

async function hearingSettles(expected: Record<string, string[]>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let heard = await whoHears();
  while (JSON.stringify(heard) !== JSON.stringify(expected) && Date.now() < deadline) heard = await whoHears();
  expect(heard).toEqual(expected);
}

async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

const transportIds = (room: Room) =>
  Object.fromEntries(Object.keys(bots).map((id) => [id, ['send', 'recv'].map((d) => room.participant(id)!.media.transport(d as 'send')!.id)]));
const lastEvent = <T>(id: string, event: string, where: (payload: T) => boolean = () => true) =>
  (bots[id]!.client.events(event) as T[]).filter(where).at(-1);

describe('moving people at the SFU', () => {
  it('a side room: the two hear only each other, the group only itself, on the same transports; closing it restores everyone', async () => {
    const room = await group('side-media');
    const transportsBefore = transportIds(room);
    const { sideRoomId } = await bots.fran!.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: ['ana'] });

    await hearingSettles({ ana: ['fran'], ben: ['carl', 'cole'], carl: ['ben', 'cole'], cole: ['ben', 'carl'], fran: ['ana'] });
    for (const id of ['ben', 'carl', 'cole']) {
      const from = [...room.participant(id)!.media.consumers.values()].map((c) => c.appData.participantId).sort();
      expect(from).toEqual(['ben', 'carl', 'cole'].filter((x) => x !== id));
    }
    expect(transportIds(room)).toEqual(transportsBefore);

    // What each sees: a client only that they stepped out; the staff where they are; the two themselves.
    expect(lastEvent<PeerInfo>('ben', 'peerUpdated', (p) => p.participantId === 'ana')).toEqual(
      expect.objectContaining({ away: true, producers: [] }),
    );
    expect(lastEvent<PeerInfo>('ben', 'peerUpdated', (p) => p.participantId === 'ana')).not.toHaveProperty('sideRoomId');
    expect(lastEvent<PeerInfo>('cole', 'peerUpdated', (p) => p.participantId === 'ana')).toMatchObject({ away: true, sideRoomId });
    expect(lastEvent<SelfView>('ana', 'selfUpdated')).toMatchObject({ sideRoomId });
    expect(lastEvent<PeerInfo>('ana', 'peerUpdated', (p) => p.participantId === 'ben')).toMatchObject({ away: true, producers: [] });

    // No one consumes across spaces, even with a producer id learnt earlier.
    const anasMicrophone = [...room.participant('ana')!.media.producers.keys()][0]!;
    expect(await bots.ben!.client.call('consume', { producerId: anasMicrophone })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    // The co-facilitator leads the group meanwhile: hands and floor, mute; the group is not on hold.
    await bots.cole!.client.ok('setFloorMode', { mode: 'queue' });
    await bots.carl!.client.ok('raiseHand', {});
    expect(await bots.cole!.client.ok('grantFloor', { participantId: null })).toEqual({ holder: 'carl' });
    await bots.cole!.client.ok('mute', { participantId: 'ben' });
    await hearingSettles({ ana: ['fran'], ben: ['carl', 'cole'], carl: ['cole'], cole: ['carl'], fran: ['ana'] });
    expect(lastEvent<RoomView>('ben', 'roomUpdated')?.onHold ?? false).toBe(false);

    // A message to everyone stays in the space it was sent in.
    await bots.carl!.client.ok('sendMessage', { to: 'everyone', text: 'group only' });
    await bots.ana!.client.ok('sendMessage', { to: 'everyone', text: 'side room only' });
    await sleep(200);
    const readers = (text: string) => Object.keys(bots).filter((id) => (bots[id]!.client.events('message') as ChatMessage[]).some((m) => m.text === text)).sort();
    expect(readers('group only')).toEqual(['ben', 'cole']);
    expect(readers('side room only')).toEqual(['fran']);

    await bots.fran!.client.ok('closeSideRoom', { sideRoomId });
    await bots.cole!.client.ok('setFloorMode', { mode: 'open' });
    await bots.fran!.client.ok('askToUnmute', { participantId: 'ben' });
    await bots.ben!.client.ok('resumeProducer', { producerId: [...room.participant('ben')!.media.producers.keys()][0] });
    await hearingSettles(everyoneHearsEveryone());
    expect(transportIds(room)).toEqual(transportsBefore);
    expect(lastEvent<SelfView>('ana', 'selfUpdated')).toMatchObject({ sideRoomId: null });

    const audit = await bots.fran!.client.ok<{ entries: { actor: string; action: string; target?: string }[] }>('getAuditLog', {});
    const steps = audit.entries.filter((e) => e.action.includes('SideRoom')).map((e) => [e.actor, e.action, e.target]);
    expect(steps).toEqual([['fran', 'openSideRoom', 'ana'], ['fran', 'closeSideRoom', undefined]]);
  });
});

describe('a side room holds through every way back in', () => {
  it('resume, reload and a media worker dying bring the member back into the side room', async () => {
    const room = await group('side-resume');
    const { sideRoomId } = await bots.fran!.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: ['ana'] });
    const inSideRoom = { ana: ['fran'], ben: ['carl', 'cole'], carl: ['ben', 'cole'], cole: ['ben', 'carl'], fran: ['ana'] };
    await hearingSettles(inSideRoom);

    // Resume: the connection drops, the seat is held, the resume token takes it back.
    const dropped = bots.ana!;
    dropped.close();
    await sleep(300);
    const resumed = await MediaBot.resume(suite.server.url, dropped);
    expect(resumed.result.self.sideRoomId).toBe(sideRoomId);
    expect(resumed.result.admitted!.peers.map((p) => [p.participantId, p.away]).sort()).toEqual([
      ['ben', true], ['carl', true], ['cole', true], ['fran', false],
    ]);
    bots.ana = resumed;
    await resumed.startMedia({ audio: true, videoLayers: 0 });
    clock.add(resumed);
    await hearingSettles(inSideRoom);

    // Reload: a new connection with the same identity takes the seat from the old one.
    const reloaded = await MediaBot.join(suite.server.url, 'side-resume', 'ana', 'client', 'ana');
    expect(reloaded.result.self.sideRoomId).toBe(sideRoomId);
    bots.ana.close();
    bots.ana = reloaded;
    await reloaded.startMedia({ audio: true, videoLayers: 0 });
    clock.add(reloaded);
    await hearingSettles(inSideRoom);

    // The media worker dies: everyone is asked to reconnect, and the seats (with the side room) are held.
    const told = Object.values(bots).map((bot) => bot.client.next('reconnectRequired'));
    process.kill(room.mediaWorker.worker.pid, 'SIGKILL');
    await Promise.all(told);
    clock.stop();
    for (const bot of Object.values(bots)) bot.close();
    clock = new MediaClock();
    for (const [id, role] of PEOPLE) await enter('side-resume', id, role);
    expect(bots.ana!.result.self.sideRoomId).toBe(sideRoomId);
    expect(bots.ben!.result.self.sideRoomId).toBeNull();
    await hearingSettles(inSideRoom);
  });
});

describe('the group and its staff', () => {
  it('no staff left in the group: on hold at once; one back: the hold lifts; the last staff leaving closes the side room', async () => {
    await group('side-hold');
    const { sideRoomId } = await bots.fran!.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: ['ana'] });
    const held = bots.ben!.client.next<RoomView>('roomUpdated');
    await bots.fran!.client.ok('moveToSideRoom', { participantId: 'cole', sideRoomId });
    expect((await held).onHold).toBe(true);
    expect(await bots.fran!.client.call('admit', { participantId: 'nobody' })).toMatchObject({ ok: false, error: { code: 'ON_HOLD' } });
    const lifted = bots.ben!.client.next<RoomView>('roomUpdated');
    await bots.fran!.client.ok('returnToGroup', { participantId: 'cole' });
    expect((await lifted).onHold).toBe(false);

    // The co-facilitator steps out with carl, then leaves the session: carl is not left alone in a private room.
    await bots.cole!.client.ok('openSideRoom', { participantIds: ['carl'] });
    await eventually(() => typeof lastEvent<SelfView>('carl', 'selfUpdated')?.sideRoomId === 'string');
    await bots.cole!.leave();
    delete bots.cole;
    await eventually(() => lastEvent<SelfView>('carl', 'selfUpdated')?.sideRoomId === null);
    await hearingSettles({ ana: ['fran'], ben: ['carl'], carl: ['ben'], fran: ['ana'] });
  });

  it('sending the last client back closes the side room: the facilitator returns with them, not left alone in it deaf to the group', async () => {
    const room = await group('side-last-client');
    const { sideRoomId } = await bots.fran!.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: ['ana'] });
    await hearingSettles({ ana: ['fran'], ben: ['carl', 'cole'], carl: ['ben', 'cole'], cole: ['ben', 'carl'], fran: ['ana'] });
    await bots.fran!.client.ok('returnToGroup', { participantId: 'ana' });
    await hearingSettles(everyoneHearsEveryone());
    expect(room.record.sideRoomStillOpen(sideRoomId)).toBeNull();
    expect([room.participant('fran')!.sideRoomId, room.participant('ana')!.sideRoomId]).toEqual([null, null]);
    await eventually(() => lastEvent<SelfView>('fran', 'selfUpdated')?.sideRoomId === null);
  });

  it('refuses what the rules refuse, with clear codes, and moves no one', async () => {
    const room = await group('side-refusals');
    const refused = async (id: string, event: string, payload: unknown) => ((await bots[id]!.client.call(event, payload)) as { error?: { code: string } }).error?.code;
    expect(await refused('ana', 'openSideRoom', { participantIds: ['ben'] })).toBe('FORBIDDEN');
    expect(await refused('fran', 'openSideRoom', { participantIds: [] })).toBe('BAD_REQUEST');
    expect(await refused('fran', 'openSideRoom', { participantIds: Array.from({ length: 21 }, (_, i) => `p${i}`) })).toBe('BAD_REQUEST');
    expect(await refused('fran', 'openSideRoom', { participantIds: ['ana'], extra: 1 })).toBe('BAD_REQUEST');
    expect(await refused('cole', 'openSideRoom', { participantIds: ['fran'] })).toBe('FORBIDDEN');
    expect([...room.participants.values()].every((p) => p.sideRoomId === null)).toBe(true);

    const { sideRoomId } = await bots.fran!.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: ['ana'] });
    expect(await refused('cole', 'moveToSideRoom', { participantId: 'ben', sideRoomId })).toBe('FORBIDDEN');
    expect(await refused('ana', 'closeSideRoom', { sideRoomId })).toBe('FORBIDDEN');
    expect(await refused('fran', 'closeSideRoom', { sideRoomId: 'side-unknown' })).toBe('NOT_FOUND');
    expect(await refused('ana', 'raiseHand', {})).toBe('BAD_REQUEST');
    expect(await refused('cole', 'grantFloor', { participantId: 'ana' })).toBe('BAD_REQUEST');
    expect(room.participant('ben')!.sideRoomId).toBeNull();
  });
});
