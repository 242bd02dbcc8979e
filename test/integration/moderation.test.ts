import { describe, expect, it } from 'vitest';
import { sample } from '../../harness/circle.js';
import { circleSuite } from '../helpers/fixtures.js';
import { connect, devToken, produceAudio, type Seated } from '../../harness/signaling.js';

const suite = circleSuite({ rooms: { facilitatorAbsenceMs: 300 } });
const seat = suite.seat.bind(suite);


async function admitted(room: string, name: string, facilitator: Seated): Promise<Seated> {
  const client = await seat(room, name, 'client');
  const view = client.client.next<{ routerRtpCapabilities: unknown }>('admitted');
  await facilitator.client.ok('admit', { participantId: client.participantId });
  await client.client.ok('setRtpCapabilities', { rtpCapabilities: (await view).routerRtpCapabilities });
  return client;
}

/** A client with a known id and token (to come back with), admitted by the facilitator. */
async function admittedWithToken(room: string, name: string, participantId: string, facilitator: Seated) {
  const { token } = await devToken(suite.server.url, { room, name, participantId });
  const client = await connect(suite.server.url);
  suite.track(client);
  await client.ok('join', { token });
  await facilitator.client.ok('admit', { participantId });
  return { client, token };
}


const metricsText = async () => (await fetch(`${suite.server.adminUrl}/metrics`)).text();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('waiting room', () => {
  it('keeps a waiting client out of media and out of the participant list until admitted', async () => {
    const facilitator = await seat('lobby-1', 'Fay', 'facilitator');
    const speaker = await admitted('lobby-1', 'Sam', facilitator);
    await produceAudio(speaker.client);

    const lobbyUpdate = facilitator.client.next<{ waiting: { participantId: string; displayName: string }[] }>('lobbyUpdated');
    const waiting = await seat('lobby-1', 'Wren', 'client');
    expect(waiting.result).toMatchObject({ self: { admission: 'waiting' } });
    expect(waiting.result.admitted).toBeUndefined();
    expect((await lobbyUpdate).waiting).toEqual([
      expect.objectContaining({ participantId: waiting.participantId, displayName: 'Wren' }),
    ]);
    expect(sample(await metricsText(), 'circle_lobby_waiting')).toBe(1);

    for (const request of ['createTransport', 'consume']) {
      const payload = request === 'consume' ? { producerId: 'anything' } : { direction: 'recv' };
      expect(await waiting.client.call(request, payload)).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    }
    // Others in the room do not see the waiting client, and the waiting client hears of no one.
    await produceAudio((await admitted('lobby-1', 'Ada', facilitator)).client);
    await pause(100);
    expect(waiting.client.received.map((r) => r.event)).toEqual([]);
    expect(speaker.client.events('peerJoined').map((p) => (p as { participantId: string }).participantId)).not.toContain(
      waiting.participantId,
    );

    const view = waiting.client.next<{ peers: { participantId: string }[] }>('admitted');
    const joinedNotice = speaker.client.next<{ participantId: string }>('peerJoined');
    await facilitator.client.ok('admit', { participantId: waiting.participantId });
    expect((await view).peers.map((p) => p.participantId).sort()).toHaveLength(3);
    expect((await joinedNotice).participantId).toBe(waiting.participantId);
    expect(sample(await metricsText(), 'circle_lobby_waiting')).toBe(0);
    expect(sample(await metricsText(), 'circle_moderation_actions_total', { action: 'admit' })).toBeGreaterThanOrEqual(3);
  });

  it('admits no one before a facilitator has joined; staff join directly', async () => {
    const cofacilitator = await seat('lobby-2', 'Cy', 'cofacilitator');
    expect(cofacilitator.result.self.admission).toBe('admitted');
    const early = await seat('lobby-2', 'Eve', 'client');
    expect(early.result.self.admission).toBe('waiting');
    expect(await cofacilitator.client.call('admit', { participantId: early.participantId })).toMatchObject({
      ok: false,
      error: { code: 'ON_HOLD' },
    });
    await seat('lobby-2', 'Fran', 'facilitator');
    await cofacilitator.client.ok('admit', { participantId: early.participantId });
  });

  it('denies one or all: they are told and disconnected, and may knock again', async () => {
    const facilitator = await seat('lobby-3', 'Fox', 'facilitator');
    const first = await seat('lobby-3', 'Gus', 'client');
    const second = await seat('lobby-3', 'Hal', 'client');
    const told = first.client.next<{ reason: string }>('sessionEnded');
    await facilitator.client.ok('deny', { participantId: first.participantId });
    expect(await told).toEqual({ reason: 'denied' });
    expect(await facilitator.client.ok('denyAll', {})).toEqual({ denied: 1 });
    await pause(50);
    expect(second.client.socket.connected).toBe(false);
  });
});

describe('remove, lock and end', () => {
  it('refuses a removed client who comes back with the same token', async () => {
    const facilitator = await seat('remove-1', 'Flo', 'facilitator');
    const client = await seat('remove-1', 'Ian', 'client');
    const { client: jo, token } = await admittedWithToken('remove-1', 'Jo', 'jo-1', facilitator);

    const told = jo.next<{ reason: string }>('sessionEnded');
    const left = facilitator.client.next<{ participantId: string }>('peerLeft');
    await facilitator.client.ok('remove', { participantId: 'jo-1' });
    expect(await told).toEqual({ reason: 'removed' });
    expect((await left).participantId).toBe('jo-1');

    const again = await connect(suite.server.url);
    suite.track(again);
    expect(await again.call('join', { token })).toMatchObject({ ok: false, error: { code: 'REMOVED' } });
    expect(suite.server.circle.registry.get('remove-1')!.participants.has('jo-1')).toBe(false);
    expect(client.client.socket.connected).toBe(true);
  });

  it('lock keeps newcomers out, even of the lobby; those already admitted may return', async () => {
    const facilitator = await seat('lock-1', 'Fern', 'facilitator');
    const { client: kai, token: returningToken } = await admittedWithToken('lock-1', 'Kai', 'kai-1', facilitator);
    const roomView = kai.next<{ locked: boolean }>('roomUpdated');
    await facilitator.client.ok('lock', {});
    expect((await roomView).locked).toBe(true);

    const newcomer = await connect(suite.server.url);
    suite.track(newcomer);
    const { token } = await devToken(suite.server.url, { room: 'lock-1', name: 'Lou' });
    expect(await newcomer.call('join', { token })).toMatchObject({ ok: false, error: { code: 'ROOM_LOCKED' } });
    expect(suite.server.circle.registry.get('lock-1')!.waiting()).toHaveLength(0);

    kai.close();
    await pause(300); // past the grace period: Kai's seat is released, so Kai returns as a newcomer would
    const back = await connect(suite.server.url);
    suite.track(back);
    expect(await back.ok('join', { token: returningToken })).toMatchObject({ self: { admission: 'waiting' } });

    await facilitator.client.ok('unlock', {});
    expect(await newcomer.call('join', { token })).toMatchObject({ ok: true });
  });

  it('end disconnects everyone with a reason and refuses late joiners', async () => {
    const facilitator = await seat('end-1', 'Faye', 'facilitator');
    const client = await admitted('end-1', 'Max', facilitator);
    const waiting = await seat('end-1', 'Ned', 'client');
    const notices = [client, waiting, facilitator].map((s) => s.client.next<{ reason: string }>('sessionEnded'));
    const disconnects = [client, waiting, facilitator].map(
      (s) => new Promise((resolve) => s.client.socket.once('disconnect', resolve)),
    );
    expect(await facilitator.client.call('end', {})).toEqual({ ok: true, data: {} });
    expect(await Promise.all(notices)).toEqual([{ reason: 'ended' }, { reason: 'ended' }, { reason: 'ended' }]);
    await Promise.all(disconnects);
    expect(suite.server.circle.registry.get('end-1')).toBeUndefined();

    const late = await connect(suite.server.url);
    suite.track(late);
    const { token } = await devToken(suite.server.url, { room: 'end-1', name: 'Ola', role: 'facilitator' });
    expect(await late.call('join', { token })).toEqual({
      ok: false,
      error: { code: 'SESSION_ENDED', message: 'this session has ended' },
    });
  });
});

describe('hard mute and asking to unmute', () => {
  it('pauses the producer at the SFU, refuses the client resuming it, and never turns a mic on for them', async () => {
    const facilitator = await seat('mute-1', 'Fenna', 'facilitator');
    const client = await admitted('mute-1', 'Pia', facilitator);
    const producerId = await produceAudio(client.client);
    const producer = () => suite.server.circle.registry.get('mute-1')!.participants.get(client.participantId)!.media.producer(producerId);

    const selfUpdate = client.client.next<{ locks: { audio: boolean } }>('selfUpdated');
    const paused = facilitator.client.next<{ producerId: string }>('producerPaused');
    await facilitator.client.ok('mute', { participantId: client.participantId });
    expect(producer().paused).toBe(true);
    expect((await selfUpdate).locks.audio).toBe(true);
    expect((await paused).producerId).toBe(producerId);

    expect(await client.client.call('resumeProducer', { producerId })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(producer().paused).toBe(true);

    const asked = client.client.next<{ kind: string }>('unmuteRequested');
    await facilitator.client.ok('askToUnmute', { participantId: client.participantId });
    expect(await asked).toEqual({ kind: 'audio' });
    expect(producer().paused).toBe(true); // a request, not a switch
    await client.client.ok('resumeProducer', { producerId });
    expect(producer().paused).toBe(false);
    expect(sample(await metricsText(), 'circle_moderation_actions_total', { action: 'mute' })).toBeGreaterThanOrEqual(1);
  });

  it('mute all clients locks every client, not the staff; a reload cannot shake off a lock', async () => {
    const facilitator = await seat('mute-2', 'Fritz', 'facilitator');
    const cofacilitator = await seat('mute-2', 'Coco', 'cofacilitator');
    const { token } = await admittedWithToken('mute-2', 'Rae', 'rae-1', facilitator);
    expect(await cofacilitator.client.ok('muteAllClients', {})).toEqual({ muted: 1 });

    const reloaded = await connect(suite.server.url);
    suite.track(reloaded);
    const result = await reloaded.ok<{ self: { admission: string; locks: { audio: boolean } } }>('join', { token });
    expect(result.self).toMatchObject({ admission: 'admitted', locks: { audio: true } });
    const room = suite.server.circle.registry.get('mute-2')!;
    expect(room.participants.get(cofacilitator.participantId)!.locks.audio).toBe(false);

    // A producer created while locked starts paused.
    await reloaded.ok('setRtpCapabilities', { rtpCapabilities: room.router.rtpCapabilities });
    const producerId = await produceAudio(reloaded);
    expect(room.participants.get('rae-1')!.media.producer(producerId).paused).toBe(true);
  });
});

describe('roles, spotlight, absence, observers', () => {
  it('promotes, demotes and hands over; the new facilitator is told and sees the lobby', async () => {
    const facilitator = await seat('roles-1', 'Flynn', 'facilitator');
    const client = await admitted('roles-1', 'Quinn', facilitator);
    const waiting = await seat('roles-1', 'Ula', 'client');

    const self = client.client.next<{ role: string }>('selfUpdated');
    const lobby = client.client.next<{ waiting: { participantId: string }[] }>('lobbyUpdated');
    await facilitator.client.ok('promote', { participantId: client.participantId });
    expect((await self).role).toBe('cofacilitator');
    expect((await lobby).waiting.map((w) => w.participantId)).toEqual([waiting.participantId]);

    await facilitator.client.ok('handOver', { participantId: client.participantId });
    const room = suite.server.circle.registry.get('roles-1')!;
    expect(room.participants.get(client.participantId)!.role).toBe('facilitator');
    expect(room.participants.get(facilitator.participantId)!.role).toBe('cofacilitator');
    // The former facilitator may no longer end the session; the new one may demote them.
    expect(await facilitator.client.call('end', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await client.client.ok('demote', { participantId: facilitator.participantId });
    expect(room.participants.get(facilitator.participantId)!.role).toBe('client');
    expect(sample(await metricsText(), 'circle_participants', { role: 'facilitator' })).toBeGreaterThanOrEqual(1);
  });

  it('tells everyone who is spotlit', async () => {
    const facilitator = await seat('spot-1', 'Fia', 'facilitator');
    const a = await admitted('spot-1', 'Vic', facilitator);
    const b = await admitted('spot-1', 'Wyn', facilitator);
    const seen = [a, b].map((s) => s.client.next<{ spotlight: string | null }>('roomUpdated'));
    await facilitator.client.ok('spotlight', { participantId: a.participantId });
    for (const view of await Promise.all(seen)) expect(view.spotlight).toBe(a.participantId);
    const cleared = b.client.next<{ spotlight: string | null }>('roomUpdated');
    a.client.close();
    expect((await cleared).spotlight).toBeNull();
  });

  it('puts the room on hold when no facilitator is present for a while; co-facilitators keep authority', async () => {
    const facilitator = await seat('hold-1', 'Fleur', 'facilitator');
    const cofacilitator = await seat('hold-1', 'Cal', 'cofacilitator');
    const client = await admitted('hold-1', 'Xan', facilitator);
    const waiting = await seat('hold-1', 'Yul', 'client');

    const held = client.client.next<{ onHold: boolean }>('roomUpdated', 3000);
    facilitator.client.close();
    await pause(100);
    await cofacilitator.client.ok('mute', { participantId: client.participantId }); // still in charge
    expect((await held).onHold).toBe(true);
    expect(await cofacilitator.client.call('admit', { participantId: waiting.participantId })).toMatchObject({
      ok: false,
      error: { code: 'ON_HOLD' },
    });

    const resumed = client.client.next<{ onHold: boolean }>('roomUpdated');
    await seat('hold-1', 'Fleur again', 'facilitator');
    expect((await resumed).onHold).toBe(false);
    await cofacilitator.client.ok('admit', { participantId: waiting.participantId });
  });

  it('hides observers from clients, not from staff', async () => {
    const facilitator = await seat('obs-1', 'Fido', 'facilitator');
    const observer = await seat('obs-1', 'Oz', 'observer');
    const client = await admitted('obs-1', 'Zed', facilitator);
    const clientView = client.client.events('admitted')[0] as { peers: { role: string }[] };
    expect(clientView.peers.map((p) => p.role)).toEqual(['facilitator']);
    expect(observer.result.admitted!.peers.map((p) => p.role)).toEqual(['facilitator']);
    expect(await observer.client.call('createTransport', { direction: 'send' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    await observer.client.ok('createTransport', { direction: 'recv' });
  });
});

describe('audit log', () => {
  it('records actor, action, target and time by id, for facilitators and the admin endpoint', async () => {
    const facilitator = await seat('audit-1', 'Flora Name', 'facilitator');
    const client = await admitted('audit-1', 'Secret Name', facilitator);
    await facilitator.client.ok('mute', { participantId: client.participantId });
    await facilitator.client.ok('lock', {});

    const { entries } = await facilitator.client.ok<{ entries: { actor: string; action: string; target?: string; at: string }[] }>(
      'getAuditLog',
      {},
    );
    expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
      ['admit', facilitator.participantId, client.participantId],
      ['mute', facilitator.participantId, client.participantId],
      ['lock', facilitator.participantId, undefined],
    ]);
    expect(Date.parse(entries[0]!.at)).toBeGreaterThan(Date.now() - 60_000);

    const url = `${suite.server.adminUrl}/admin/rooms/audit-1/audit`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const secret = suite.server.circle.config.admin.bearerSecret;
    const response = await fetch(url, { headers: { authorization: `Bearer ${secret}` } });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({ locked: true, ended: false, entries });
    expect(body).not.toContain('Secret Name');
    expect((await fetch(`${suite.server.adminUrl}/admin/rooms/nowhere/audit`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(404);
  });

  it('an administrator ends a session: everyone is told, no one joins again, the audit log says "admin"', async () => {
    const facilitator = await seat('admin-end', 'Fay', 'facilitator');
    const client = await admitted('admin-end', 'Cal', facilitator);
    const url = `${suite.server.adminUrl}/admin/rooms/admin-end/end`;
    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    expect(suite.server.circle.registry.get('admin-end')!.isClosed).toBe(false);

    const told = [facilitator, client].map((p) => p.client.next<{ reason: string }>('sessionEnded'));
    const secret = suite.server.circle.config.admin.bearerSecret;
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    expect(await response.json()).toEqual({ ended: 'here' });
    for (const event of told) expect(await event).toEqual({ reason: 'ended' });
    expect(suite.server.circle.registry.record('admin-end')!.audit.at(-1)).toMatchObject({ actor: 'admin', action: 'end' });
    const again = await connect(suite.server.url);
    const { token } = await devToken(suite.server.url, { room: 'admin-end', name: 'Cal', participantId: client.participantId });
    expect(await again.call('join', { token })).toMatchObject({ ok: false, error: { code: 'SESSION_ENDED' } });
    again.close();
    const nowhere = await fetch(`${suite.server.adminUrl}/admin/rooms/nowhere/end`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    expect(nowhere.status).toBe(404);
  });
});
