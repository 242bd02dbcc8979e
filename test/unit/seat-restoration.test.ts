// Seat restoration on every way back in, against the real Room on a fake router, in milliseconds: a reload while
// present, a resume within the grace, a held seat after the room closed under it, a fresh join after leaving (the
// staff's decisions stand), a side room closed meanwhile, and how a call enters (held seat, the page asked, the
// lobby). The same ways run against a mediasoup worker in test/integration/{resume,standing-decisions,phone-door}.
import type { types } from 'mediasoup';
import { afterEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/auth/tokens.js';
import type { MediaWorker } from '../../src/media/worker-pool.js';
import type { Role } from '../../src/protocol/roles.js';
import type { ParticipantChannel } from '../../src/rooms/participant.js';
import { Room } from '../../src/rooms/room.js';
import { RoomRecord } from '../../src/rooms/room-record.js';
import type { RoomSettings } from '../../src/rooms/room-settings.js';
import config from '../../config/default.json' with { type: 'json' };

const SETTINGS: RoomSettings = {
  maxParticipants: 15,
  transport: { enableTcp: true, initialAvailableOutgoingBitrate: 600_000, listenIp: '127.0.0.1' } as RoomSettings['transport'],
  requireAdmission: true,
  observersVisibleToClients: false,
  facilitatorAbsenceMs: 60_000,
  turnWarningMs: 15_000,
  resumeGraceMs: 30_000,
  botTransports: false,
  moderationPerSecond: 100,
  moderationBurst: 100,
  quality: config.quality as RoomSettings['quality'],
  messages: config.messages,
  talkBalance: false,
  e2eeDialIn: 'off',
  e2eeMode: 'off', // a fake router makes no audio-level observer
};

/** A router that is never asked for media here: joining, restoring and telling take none. */
const fakeRouter = () => ({ on: () => undefined, close: () => undefined, rtpCapabilities: { codecs: [] } }) as unknown as types.Router;

const rooms: Room[] = [];
afterEach(() => rooms.splice(0).forEach((room) => room.close('media-worker-lost')));

function openRoom(record = new RoomRecord('room-1')) {
  const room = new Room('room-1', fakeRouter(), { webRtcServer: undefined } as unknown as MediaWorker, SETTINGS, record);
  rooms.push(room);
  return room;
}

function connection(isCall = false) {
  const told: string[] = [];
  const channel: ParticipantChannel & { told: string[] } = {
    told,
    ...(isCall ? { isCall: true } : {}),
    send: (event, ..._args) => void told.push(event),
    detach: () => void told.push('detached'),
    end: (reason) => void told.push(`end ${reason}`),
  };
  return channel;
}

const who = (participantId: string, role: Role = 'client'): Identity => ({ participantId, roomId: 'room-1', displayName: participantId, role });

/** A started room with its facilitator, and Ana admitted, her hand raised, locked and in a side room. */
function setUp(record?: RoomRecord) {
  const room = openRoom(record);
  const lead = room.join(who('lead', 'facilitator'), connection());
  const ana = room.join(who('ana'), connection());
  room.admit(ana);
  room.floor.raise(ana.id);
  return { room, lead, ana };
}

describe('a seat taken back', () => {
  it('by a reload while present: as it stands, the old connection told why, no leave or join seen', async () => {
    const { room, lead, ana } = setUp();
    await room.lockMedia(ana, 'audio');
    const before = lead.connectionChannel as ParticipantChannel & { told: string[] };
    const seen = before.told.length;
    const reloaded = room.join(who('ana'), connection());
    expect(reloaded).not.toBe(ana);
    expect(reloaded.seat).toEqual(ana.seat);
    expect(reloaded.locks.audio).toBe(true);
    expect(room.floor.position('ana')).toBe(1);
    expect((ana.connectionChannel as ParticipantChannel & { told: string[] }).told).toContain('end replaced-by-new-session');
    expect(before.told.slice(seen)).not.toContain('peerLeft');
    expect(before.told.slice(seen)).not.toContain('peerJoined');
  });

  it('by a resume within the grace: the reconnecting seat is theirs again', () => {
    const { room, ana } = setUp();
    room.holdSeat(ana);
    expect(room.participant('ana')?.connection).toBe('reconnecting');
    const back = room.join(who('ana'), connection());
    expect(back.connection).toBe('connected');
    expect(back.admitted).toBe(true);
    expect(room.participant('ana')).toBe(back);
  });

  it('from a seat held in the record after the room closed under it, in its side room if still open', () => {
    const record = new RoomRecord('room-1');
    const { room, ana } = setUp(record);
    record.openSideRoom('side-1');
    ana.moveTo('side-1');
    room.close('media-worker-lost');
    const reopened = openRoom(record);
    reopened.join(who('lead', 'facilitator'), connection());
    const back = reopened.join(who('ana'), connection());
    expect(back.admitted).toBe(true);
    expect(back.sideRoomId).toBe('side-1');
    // Once taken, the held seat is gone: a second connection takes the live seat, not the record's.
    expect(record.holdsSeatFor('ana')).toBe(false);
  });

  it('from a held seat whose side room closed meanwhile: in the group', () => {
    const record = new RoomRecord('room-1');
    const { room, ana } = setUp(record);
    record.openSideRoom('side-1');
    ana.moveTo('side-1');
    room.close('media-worker-lost');
    record.closeSideRoom('side-1');
    const back = openRoom(record).join(who('ana'), connection());
    expect(back.sideRoomId).toBeNull();
  });

  it('by a fresh join after leaving: the staff’s decisions stand (role, locks), admission is asked again', async () => {
    const { room, ana } = setUp();
    await room.setRole(ana, 'cofacilitator');
    await room.lockMedia(ana, 'video');
    room.leave(ana);
    expect(room.participant('ana')).toBeUndefined();
    const back = room.join(who('ana'), connection());
    expect(back.role).toBe('cofacilitator');
    expect(back.locks).toEqual({ audio: false, video: true });
    expect(back.wants.video).toBe(false);
    // A co-facilitator does not wait; a client demoted back would.
    expect(back.admitted).toBe(true);
  });
});

describe('a call taking a seat', () => {
  it('goes straight into a seat held for its own drop', () => {
    const { room, ana } = setUp();
    room.holdSeat(ana);
    const call = room.join(who('ana'), connection(true));
    expect(call.connectionChannel.isCall).toBe(true);
    expect(call.admitted).toBe(true);
    expect(call.voiceOnCall).toBe(true);
  });

  it('waits in the lobby instead when the room turned the held-seat rule off', () => {
    const { room, ana } = setUp();
    room.record.setCallsIntoHeldSeats(false);
    room.holdSeat(ana);
    const call = room.join(who('ana'), connection(true));
    expect(call.admitted).toBe(false);
    expect(room.waiting().map((p) => p.id)).toEqual(['ana']);
  });

  it('asks the seat’s page when it is present, and stays out of the room until a yes', () => {
    const { room, ana } = setUp();
    const call = connection(true);
    const seat = room.join(who('ana'), call);
    expect(seat).toBe(ana);
    expect(ana.callLeg?.channel).toBe(call);
    expect(ana.callLeg?.confirmed).toBe(false);
    expect((ana.connectionChannel as ParticipantChannel & { told: string[] }).told).toContain('phoneJoinRequested');
  });

  it('waits in the lobby for any other seat (a guessed PIN never hears the group)', () => {
    const { room } = setUp();
    const call = room.join(who('ben'), connection(true));
    expect(call.admitted).toBe(false);
  });
});
