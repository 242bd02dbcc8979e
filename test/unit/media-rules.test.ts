// The rules of what flows and who hears whom, against fakes in milliseconds: `RoomMedia.mayFlow` over every
// combination of a facilitator's lock, the participant's wish, the floor, a side room and the leg carrying the
// voice; `Audience.canHear` over admission, observers and spaces.
import { describe, expect, it } from 'vitest';
import type { ActiveSpeakers } from '../../src/media/active-speakers.js';
import type { ParticipantMedia } from '../../src/media/participant-media.js';
import type { MediaKind } from '../../src/protocol/events.js';
import type { Role } from '../../src/protocol/roles.js';
import { Audience } from '../../src/rooms/audience.js';
import type { Participant } from '../../src/rooms/participant.js';
import { RoomMedia } from '../../src/rooms/room-media.js';
import { FakeRoom } from '../helpers/fake-room.js';

const fakeMedia = () => ({ on: () => undefined, describeProducers: () => [] }) as unknown as ParticipantMedia;
const quietChannel = { send: () => undefined, detach: () => undefined, end: () => undefined, isCall: true };

function setUp() {
  const room = new FakeRoom();
  const audience = new Audience(room.people, { observersVisibleToClients: false, focused: () => room.record.focus, checkInOf: () => null });
  const media = new RoomMedia(audience, room.floor, {} as ActiveSpeakers, false, () => room.breaks.onBreak);
  return { room, audience, media };
}

type FloorCase = 'open' | 'holder' | 'queued';
type LegCase = 'none' | 'asking' | 'confirmed';

interface Case {
  kind: MediaKind;
  role: Role;
  locked: boolean;
  wished: boolean;
  floor: FloorCase;
  sideRoom: boolean;
  leg: LegCase;
  /** Which of the seat's media is asked about: its page's, or the call leg's. */
  via: 'page' | 'leg';
  /** The group is on a break. */
  onBreak: boolean;
}

/** The rules as docs/protocol.md states them, one sentence each. */
function expected(c: Case): boolean {
  // A facilitator's lock, or the participant's own choice, turns it off; nothing else turns it on.
  if (c.locked || !c.wished) return false;
  // A break pauses every client's microphone and camera; staff may talk to the group.
  if (c.onBreak && c.role === 'client') return false;
  // One voice per seat: the call's once the page said yes, the page's until then (a call not said yes to is unheard).
  if (c.kind === 'audio' && c.via === 'leg' && c.leg !== 'confirmed') return false;
  if (c.kind === 'audio' && c.via === 'page' && c.leg === 'confirmed') return false;
  // Video follows the link (audio-only was not chosen here, so it flows).
  if (c.kind === 'video') return true;
  // In a one-speaker group, a client is heard only with the floor; staff always; a side room is an open conversation.
  if (c.floor === 'queued' && c.role === 'client' && !c.sideRoom) return false;
  return true;
}

function* cases(): Generator<Case> {
  for (const kind of ['audio', 'video'] as const)
    for (const role of ['client', 'facilitator'] as const)
      for (const locked of [false, true])
        for (const wished of [false, true])
          for (const floor of ['open', 'holder', 'queued'] as const)
            for (const sideRoom of [false, true])
              for (const leg of ['none', 'asking', 'confirmed'] as const)
                for (const via of leg === 'none' ? (['page'] as const) : (['page', 'leg'] as const))
                  for (const onBreak of [false, true]) yield { kind, role, locked, wished, floor, sideRoom, leg, via, onBreak };
}

function seatFor(c: Case): { participant: Participant; media: RoomMedia; legMedia: ParticipantMedia | undefined } {
  const { room, media } = setUp();
  room.add('lead', 'facilitator');
  const participant = room.add('ana', c.role);
  if (c.floor !== 'open') {
    room.floor.setMode('queue');
    if (c.floor === 'holder') room.floor.grant('ana');
    else room.floor.grant('lead');
  }
  if (c.sideRoom) participant.moveTo('side-1');
  if (c.onBreak) room.record.setBreakEndsAt(Date.now() + 60_000);
  if (c.locked) participant.lock(c.kind);
  else participant.wish(c.kind, c.wished);
  let legMedia: ParticipantMedia | undefined;
  if (c.leg !== 'none') {
    legMedia = fakeMedia();
    participant.callAsks(quietChannel, legMedia);
    if (c.leg === 'confirmed') participant.callConfirmed();
  }
  return { participant, media, legMedia };
}

describe('what flows (RoomMedia.mayFlow)', () => {
  const all = [...cases()];

  it('answers every combination of lock, wish, floor, side room, leg and break as the rules say', () => {
    expect(all.length).toBe(2 * 2 * 2 * 2 * 3 * 2 * 5 * 2);
    const wrong = all.filter((c) => {
      const { participant, media, legMedia } = seatFor(c);
      const asked = c.via === 'leg' ? legMedia : participant.media;
      return media.mayFlow(participant, c.kind, asked) !== expected(c);
    });
    expect(wrong).toEqual([]);
    // Both answers occur: the table is not trivially all-true or all-false.
    expect(all.filter(expected).length).toBeGreaterThan(20);
    expect(all.filter((c) => !expected(c)).length).toBeGreaterThan(100);
  });

  it('keeps a lock off even when the participant wishes it on, and lifting it turns nothing on', () => {
    const { participant, media } = seatFor({ kind: 'audio', role: 'client', locked: true, wished: true, floor: 'open', sideRoom: false, leg: 'none', via: 'page', onBreak: false });
    expect(() => participant.wish('audio', true)).toThrow(/turned off by a facilitator/);
    participant.unlock('audio');
    expect(media.mayFlow(participant, 'audio')).toBe(false);
    participant.wish('audio', true);
    expect(media.mayFlow(participant, 'audio')).toBe(true);
  });

  it('stops video while the participant chose audio-only', () => {
    const { participant, media } = seatFor({ kind: 'video', role: 'client', locked: false, wished: true, floor: 'open', sideRoom: false, leg: 'none', via: 'page', onBreak: false });
    expect(participant.chooseAudioOnly(true)).toBe(true);
    expect(participant.chooseAudioOnly(true)).toBe(false);
    expect(media.mayFlow(participant, 'video')).toBe(false);
  });

  it('writes a lock and a role to the room record as they happen, and takes a stored seat back whole', () => {
    const { room } = setUp();
    const ana = room.add('ana', 'client');
    ana.lock('audio');
    ana.changeRole('cofacilitator');
    expect(room.record.standingFor('ana')).toEqual({ role: 'cofacilitator', locks: { audio: true, video: false } });
    ana.moveTo('side-1');
    ana.holdUntil(Date.now() + 60_000);
    const back = room.add('ana', 'client', { waiting: true });
    back.restore(room.record.takeHeldSeat('ana')!);
    expect(back.seat).toEqual({ ...ana.seat, waitingSince: back.seat.waitingSince });
    expect(back.admitted).toBe(true);
    expect(back.sideRoomId).toBe('side-1');
  });
});

describe('who hears whom (Audience.canHear)', () => {
  it('hears only the admitted in the same space; observers are heard by staff only unless the room shows them', () => {
    const { room, audience } = setUp();
    const lead = room.add('lead', 'facilitator');
    const ana = room.add('ana', 'client');
    const ben = room.add('ben', 'client');
    const otto = room.add('otto', 'observer');
    const knock = room.add('knock', 'client', { waiting: true });
    expect(audience.canHear(ana, ben)).toBe(true);
    expect(audience.canHear(ana, ana)).toBe(false);
    expect(audience.canHear(ana, knock)).toBe(false);
    expect(audience.canHear(knock, ana)).toBe(false);
    expect(audience.canHear(ana, otto)).toBe(false);
    expect(audience.canHear(lead, otto)).toBe(true);
    expect(audience.canHear(otto, ana)).toBe(true);
    expect(new Audience(room.people, { observersVisibleToClients: true, focused: () => false, checkInOf: () => null }).canHear(ana, otto)).toBe(true);
    ben.moveTo('side-1');
    expect(audience.canHear(ana, ben)).toBe(false);
    expect(audience.canHear(lead, ben)).toBe(false);
    expect(audience.canSee(lead, ben)).toBe(true);
    lead.moveTo('side-1');
    expect(audience.canHear(lead, ben)).toBe(true);
    expect(audience.receiversOf(ben, 'audio').map((p) => p.id)).toEqual(['lead']);
  });

  it('in focus mode a client receives only the staff’s video and is shown no other video; audio and the staff’s view are unchanged', () => {
    const { room, audience } = setUp();
    const lead = room.add('lead', 'facilitator');
    const co = room.add('co', 'cofacilitator');
    const ana = room.add('ana', 'client');
    const ben = room.add('ben', 'client');
    const withVideo = (participant: Participant) => Object.assign(participant, {
      describe: (_forStaff: boolean, away: boolean) => ({
        participantId: participant.id,
        producers: away ? [] : [{ producerId: `${participant.id}-mic`, kind: 'audio' }, { producerId: `${participant.id}-cam`, kind: 'video' }],
      }),
    });
    [lead, co, ana, ben].forEach(withVideo);
    const shown = (viewer: Participant, subject: Participant) => audience.describe(viewer, subject).producers.map((p) => p.kind);
    expect(audience.canReceive(ana, ben, 'video')).toBe(true);
    room.record.setFocus(true);
    expect(audience.canReceive(ana, ben, 'video')).toBe(false);
    expect(audience.canReceive(ana, ben, 'audio')).toBe(true);
    expect(audience.canReceive(ana, lead, 'video')).toBe(true);
    expect(audience.canReceive(ana, co, 'video')).toBe(true);
    expect(audience.canReceive(lead, ana, 'video')).toBe(true);
    expect(audience.canReceive(co, ben, 'video')).toBe(true);
    expect(shown(ana, ben)).toEqual(['audio']);
    expect(shown(ana, lead)).toEqual(['audio', 'video']);
    expect(shown(lead, ana)).toEqual(['audio', 'video']);
    expect(audience.receiversOf(ben, 'video').map((p) => p.id)).toEqual(['lead', 'co']);
    expect(audience.receiversOf(ben, 'audio').map((p) => p.id)).toEqual(['lead', 'co', 'ana']);
    // Focus does not reach across spaces: someone apart is received by no one outside, focus or not.
    ben.moveTo('side-1');
    expect(audience.canReceive(lead, ben, 'video')).toBe(false);
    room.record.setFocus(false);
    expect(shown(ana, ben)).toEqual([]);
    ben.moveTo(null);
    expect(shown(ana, ben)).toEqual(['audio', 'video']);
  });

  it('moves a pair apart before anyone is told: the pairs that no longer hear each other go to separate first', () => {
    const { room, audience } = setUp();
    room.add('lead', 'facilitator');
    const ana = room.add('ana', 'client');
    room.add('ben', 'client');
    const order: string[] = [];
    const sent = room.sent.length;
    audience.relocate([ana], 'side-1', (pairs) => {
      order.push(`separate ${pairs.map(([receiver, sender]) => `${receiver.id}<${sender.id}`).sort().join(' ')}`);
      order.push(`told before: ${room.sent.length - sent}`);
    });
    expect(order).toEqual(['separate ana<ben ana<lead ben<ana lead<ana', 'told before: 0']);
    expect(ana.sideRoomId).toBe('side-1');
  });
});
