// Calls carrying a seat's voice beside its page, against fakes in milliseconds: the page is asked, a yes gives the
// voice to the call, a no or silence ends it, hanging up gives the voice back, a new connection carries the call
// over, and a page gone hands the seat to the call.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ParticipantMedia } from '../../src/media/participant-media.js';
import { Audience } from '../../src/rooms/audience.js';
import { CALL_CONFIRM_MS, CallLegs } from '../../src/rooms/call-legs.js';
import type { Participant, ParticipantChannel } from '../../src/rooms/participant.js';
import type { RoomMedia } from '../../src/rooms/room-media.js';
import type { RoomObserverEvents } from '../../src/rooms/room-port.js';
import { FakeRoom } from '../helpers/fake-room.js';

function fakeMedia(name: string) {
  const held: boolean[] = [];
  const media = { name, held, on: () => media, describeProducers: () => [], holdAudio: async (on: boolean) => void held.push(on) };
  return media as unknown as ParticipantMedia & { name: string; held: boolean[] };
}

function call(name: string) {
  const said: string[] = [];
  const channel: ParticipantChannel & { said: string[] } = {
    isCall: true,
    said,
    send: (event, ..._args) => void said.push(event),
    detach: () => void said.push('detached'),
    end: (reason) => void said.push(`end ${reason}`),
  };
  return channel;
}

function setUp() {
  const room = new FakeRoom();
  const did: string[] = [];
  const media = {
    callAttached: async (p: Participant) => void did.push(`attached ${p.id}`),
    callDetached: async (p: Participant) => void did.push(`detached ${p.id}`),
    closeMedia: (_p: Participant, m: ParticipantMedia & { name: string }) => void did.push(`closed ${m.name}`),
  } as unknown as RoomMedia;
  const observer = new EventEmitter<RoomObserverEvents>();
  const events: unknown[] = [];
  observer.on('participation', (event) => events.push(event));
  let made = 0;
  const legs = new CallLegs(media, new Audience(room.people, { observersVisibleToClients: false, focused: () => false, checkInOf: () => null }), () => fakeMedia(`leg-media-${(made += 1)}`), observer, (p) =>
    did.push(`voice of ${p.id} ${p.voiceOnCall ? 'on the call' : 'on the page'}`),
  );
  room.add('lead', 'facilitator');
  const ana = room.add('ana', 'client');
  return { room, legs, did, events, ana };
}

afterEach(() => vi.useRealTimers());

describe('call legs', () => {
  it('asks the page first; the call is not heard until a yes, then carries the voice', () => {
    const { room, legs, did, events, ana } = setUp();
    const phone = call('phone');
    legs.ask(ana, phone);
    expect(room.sent.filter((s) => s.to === 'ana').map((s) => s.event)).toContain('phoneJoinRequested');
    expect(ana.callLeg?.confirmed).toBe(false);
    expect(ana.voiceOnCall).toBe(false);
    expect(ana.callMedia).toBeUndefined();
    expect(() => legs.ask(ana, call('another'))).toThrow(/on a call/);
    legs.answer(ana, true);
    expect(ana.callLeg?.confirmed).toBe(true);
    expect(ana.voiceOnCall).toBe(true);
    expect(ana.callMedia).toBe(ana.callLeg?.media);
    // The seat's members in the circles of keys follow its voice onto the call.
    expect(did).toEqual(['voice of ana on the call', 'attached ana']);
    expect(events).toEqual([{ type: 'participant.call', participantId: 'ana', voiceOnCall: true }]);
    // The room's words reach both the page and the call.
    ana.channel.send('unmuteRequested', { kind: 'audio' });
    expect(phone.said).toContain('unmuteRequested');
    expect(() => legs.answer(ana, true)).toThrow(/no call is waiting/);
  });

  it('ends the call on a no, and when the page does not answer in time', () => {
    vi.useFakeTimers();
    const { legs, did, ana } = setUp();
    const first = call('first');
    legs.ask(ana, first);
    legs.answer(ana, false);
    expect(first.said).toEqual(['end phone-declined']);
    expect(ana.callLeg).toBeNull();
    expect(did).toEqual(['closed leg-media-1']);
    const second = call('second');
    legs.ask(ana, second);
    vi.advanceTimersByTime(CALL_CONFIRM_MS - 1);
    expect(second.said).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(second.said).toEqual(['end phone-declined']);
    expect(ana.callLeg).toBeNull();
  });

  it('gives the voice back to the page when the call hangs up, and ignores a call that is not the leg', () => {
    const { legs, did, events, ana } = setUp();
    const phone = call('phone');
    legs.ask(ana, phone);
    legs.answer(ana, true);
    legs.hungUp(ana, call('stranger'));
    expect(ana.callLeg).not.toBeNull();
    legs.hungUp(ana, phone);
    expect(ana.callLeg).toBeNull();
    expect(ana.voiceOnCall).toBe(false);
    expect(did).toEqual(['voice of ana on the call', 'attached ana', 'voice of ana on the page', 'detached ana']);
    expect(events.at(-1)).toEqual({ type: 'participant.call', participantId: 'ana', voiceOnCall: false });
  });

  it('hands the seat to the call when the page is gone, and ends a call still waiting for an answer', () => {
    const { legs, did, ana } = setUp();
    const phone = call('phone');
    legs.ask(ana, phone);
    legs.handSeatTo(ana); // not yet said yes: nothing to hand over
    expect(phone.said).toEqual([]);
    legs.endUnconfirmed(ana);
    expect(phone.said).toEqual(['end phone-declined']);
    const next = call('next');
    legs.ask(ana, next);
    legs.answer(ana, true);
    legs.handSeatTo(ana);
    expect(next.said.at(-1)).toBe('detached');
    expect(ana.callLeg).toBeNull();
    expect(did.at(-1)).toBe('closed leg-media-2');
  });

  it('carries a leg over to the page that takes the seat next; a newer call ends the one carrying the voice', () => {
    const { room, legs, ana } = setUp();
    const phone = call('phone');
    legs.ask(ana, phone);
    legs.answer(ana, true);
    const leg = ana.callLeg;
    const reloaded = room.add('ana', 'client');
    expect(legs.carryOver(ana, reloaded)).toBe(false);
    expect(ana.callLeg).toBeNull();
    expect(reloaded.callLeg?.channel).toBe(phone);
    expect(reloaded.callLeg?.media).toBe(leg?.media);
    expect((reloaded.media as unknown as { held: boolean[] }).held).toEqual([true]);
    const byCall = room.addCall('ana', call('newer'));
    expect(legs.carryOver(reloaded, byCall)).toBe(false);
    expect(phone.said.at(-1)).toBe('end taken-by-phone');
    expect(reloaded.callLeg).toBeNull();
  });

  it('takes a call that held the seat alone as the leg of the page that comes back, its voice unbroken', () => {
    const { room, legs, did } = setUp();
    const phone = call('phone');
    const alone = room.addCall('cy', phone);
    const page = room.add('cy', 'client');
    expect(legs.carryOver(alone, page)).toBe(true);
    expect(page.callLeg).toEqual({ channel: phone, media: alone.media, confirmed: true });
    expect(page.voiceOnCall).toBe(true);
    expect(phone.said).toContain('selfUpdated');
    expect(did).toEqual(['attached cy']);
  });
});
