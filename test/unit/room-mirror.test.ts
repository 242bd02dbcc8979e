// The SDK's room mirror: server events in, the room as the participant sees it out. No browser, no socket.
import { describe, expect, it } from 'vitest';
import { Encryption } from '../../src/client/encryption.js';
import { RoomMirror, type ServerEventSource } from '../../src/client/room-mirror.js';
import type { AdmittedView, JoinResult, PeerInfo, SelfView, ServerToClientEvents } from '../../src/protocol/events.js';

/** Stands in for a socket: delivers server events to whoever follows it. */
class FakeServer implements ServerEventSource {
  private readonly listeners = new Map<string, (...args: never[]) => void>();
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]) {
    this.listeners.set(event, listener as (...args: never[]) => void);
    return this;
  }
  send<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>) {
    (this.listeners.get(event) as ((...a: unknown[]) => void) | undefined)?.(...args);
  }
}

const peer = (participantId: string, producerIds: string[] = []): PeerInfo => ({
  participantId,
  displayName: participantId,
  role: 'client',
  connection: 'connected',
  producers: producerIds.map((producerId) => ({ producerId, kind: 'audio', source: 'microphone', paused: false })),
  away: false,
  phone: false,
});

const self = (participantId: string, role: SelfView['role'] = 'client'): SelfView => ({
  participantId,
  role,
  admission: 'admitted',
  locks: { audio: false, video: false },
  sideRoomId: null,
  voiceOnPhone: false,
  link: { quality: 'good', audioOnly: null, sendVideo: true, receiveVideo: true, path: null },
});

const admitted = (peers: PeerInfo[]): AdmittedView => ({
  routerRtpCapabilities: {},
  peers,
  room: { locked: false, groupMessages: true, onHold: false, started: true, startedAt: null, spotlight: null, phoneIntoHeldSeats: true, focus: false, askCheckIn: true, breakEndsAt: null, unencrypted: [] },
  lobby: [],
  floor: { mode: 'open', queue: [], holder: null, turnLimitSeconds: null, turnEndsAt: null },
  activeSpeaker: null,
  talk: [],
});

function setUp() {
  const server = new FakeServer();
  const mirror = new RoomMirror();
  mirror.follow(server);
  const seen: string[] = [];
  for (const event of ['peerJoined', 'peerLeft', 'peerUpdated', 'room', 'lobby', 'floor', 'self'] as const) {
    mirror.on(event, () => seen.push(event));
  }
  mirror.on('producerAvailable', (id) => seen.push(`receive ${id}`));
  return { server, mirror, seen };
}

describe('the room mirror', () => {
  it('takes the room as of admission and asks for every producer in it', () => {
    const { mirror, seen } = setUp();
    mirror.enter(admitted([peer('ana', ['p1']), peer('ben', ['p2', 'p3'])]));
    expect([...mirror.peers.keys()]).toEqual(['ana', 'ben']);
    expect(mirror.producers().map((p) => p.producerId)).toEqual(['p1', 'p2', 'p3']);
    expect(seen).toEqual(['floor', 'room', 'lobby', 'peerJoined', 'receive p1', 'peerJoined', 'receive p2', 'receive p3']);
  });

  it('follows peers and their producers: added, paused, resumed, removed, gone', () => {
    const { server, mirror, seen } = setUp();
    mirror.enter(admitted([]));
    seen.length = 0;
    server.send('peerJoined', peer('cy'));
    server.send('producerAdded', { participantId: 'cy', producer: { producerId: 'v1', kind: 'video', source: 'camera', paused: false } });
    server.send('producerPaused', { participantId: 'cy', producerId: 'v1' });
    expect(mirror.peers.get('cy')!.producers).toEqual([{ producerId: 'v1', kind: 'video', source: 'camera', paused: true }]);
    server.send('producerResumed', { participantId: 'cy', producerId: 'v1' });
    expect(mirror.peers.get('cy')!.producers[0]!.paused).toBe(false);
    server.send('producerRemoved', { participantId: 'cy', producerId: 'v1' });
    expect(mirror.peers.get('cy')!.producers).toEqual([]);
    server.send('peerLeft', { participantId: 'cy' });
    expect(mirror.peers.size).toBe(0);
    expect(seen).toEqual(['peerJoined', 'peerUpdated', 'receive v1', 'peerUpdated', 'peerUpdated', 'peerUpdated', 'peerLeft']);
  });

  it('ignores producer events of someone it cannot see', () => {
    const { server, mirror, seen } = setUp();
    server.send('producerPaused', { participantId: 'hidden', producerId: 'x' });
    expect(mirror.peers.size).toBe(0);
    expect(seen).toEqual([]);
  });

  it('knows its place in the hand queue and whether it may be heard', () => {
    const { server, mirror } = setUp();
    server.send('selfUpdated', self('ana'));
    mirror.enter(admitted([]));
    expect([mirror.handPosition, mirror.mayBeHeard]).toEqual([0, true]);
    server.send('floorUpdated', { mode: 'queue', queue: ['ben', 'ana'], holder: 'cy', turnLimitSeconds: null, turnEndsAt: null });
    expect([mirror.handPosition, mirror.mayBeHeard]).toEqual([2, false]);
    server.send('floorUpdated', { mode: 'queue', queue: ['ben'], holder: 'ana', turnLimitSeconds: null, turnEndsAt: null });
    expect([mirror.handPosition, mirror.mayBeHeard]).toEqual([0, true]);
    server.send('selfUpdated', self('ana', 'cofacilitator'));
    server.send('floorUpdated', { mode: 'queue', queue: [], holder: null, turnLimitSeconds: null, turnEndsAt: null });
    expect(mirror.mayBeHeard).toBe(true); // staff are always heard
  });

  it('keeps the room view and the lobby as the server last said', () => {
    const { server, mirror } = setUp();
    server.send('roomUpdated', { locked: true, groupMessages: true, onHold: false, started: true, startedAt: null, spotlight: 'ana', phoneIntoHeldSeats: true, focus: false, askCheckIn: true, breakEndsAt: null, unencrypted: [] });
    server.send('lobbyUpdated', { waiting: [{ participantId: 'w', displayName: 'W', waitingSince: '2026-11-24T10:00:00Z', locks: { audio: true, video: false }, readiness: null, phone: false, checkIn: null }] });
    expect(mirror.room).toMatchObject({ locked: true, spotlight: 'ana' });
    expect(mirror.lobby.map((e) => e.participantId)).toEqual(['w']);
  });

  it('knows who speaks: as of admission, then as the server says, and no one once they have left the space', () => {
    const { server, mirror } = setUp();
    const heard: (string | null)[] = [];
    mirror.on('activeSpeaker', (participantId) => heard.push(participantId));
    mirror.enter({ ...admitted([peer('ana'), peer('ben')]), activeSpeaker: 'ana' });
    server.send('activeSpeaker', { participantId: 'ben' });
    expect(mirror.activeSpeaker).toBe('ben');
    server.send('activeSpeaker', { participantId: null });
    expect([mirror.activeSpeaker, heard]).toEqual([null, ['ana', 'ben', null]]);
  });
});

describe('the encryption following the room', () => {
  const room = (unencrypted: string[]) => ({ locked: false, groupMessages: true, onHold: false, started: true, startedAt: null, spotlight: null, phoneIntoHeldSeats: true, focus: false, askCheckIn: true, breakEndsAt: null, unencrypted });
  const seatedIn = async (mode: 'preferred' | 'required') => {
    const { server, mirror } = setUp();
    const encryption = new Encryption(mirror);
    const changes: unknown[] = [];
    encryption.on('changed', (state) => changes.push(state));
    // Node has no encoded transforms: the mode is taken, and no worker is started.
    await encryption.seated({ e2ee: mode, participantId: 'me', role: 'client', displayName: 'Me' } as JoinResult, 'unused.js', async () => ({}));
    return { server, encryption, changes };
  };

  it('in a preferred session goes clear while someone in cannot encrypt, and says so once per change', async () => {
    const { server, encryption, changes } = await seatedIn('preferred');
    server.send('roomUpdated', room(['ben']));
    expect({ inClear: encryption.inClear, unencrypted: encryption.unencrypted }).toEqual({ inClear: true, unencrypted: ['ben'] });
    server.send('roomUpdated', { ...room(['ben']), locked: true });
    server.send('roomUpdated', room([]));
    expect(encryption.inClear).toBe(false);
    expect(changes).toHaveLength(2);
  });

  it('in a required session never goes clear, whatever the room says', async () => {
    const { server, encryption } = await seatedIn('required');
    server.send('roomUpdated', room(['ben']));
    expect(encryption.inClear).toBe(false);
  });
});
