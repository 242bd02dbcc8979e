import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { ActiveSpeakers, type Space } from '../../src/media/active-speakers.js';

// The space rules of the active-speaker highlight, over a fake router whose observers are told by the test who
// dominates (the real observer, fed by Chromium's audio levels, is exercised in test/e2e/web-app.test.ts).

class FakeObserver extends EventEmitter {
  readonly producerIds = new Set<string>();
  closed = false;
  async addProducer({ producerId }: { producerId: string }) {
    this.producerIds.add(producerId);
  }
  async removeProducer({ producerId }: { producerId: string }) {
    this.producerIds.delete(producerId);
  }
  close() {
    this.closed = true;
  }
}

class FakeProducer {
  readonly observer = new EventEmitter();
  closed = false;
  paused = false;
  constructor(
    readonly id: string,
    readonly kind: 'audio' | 'video' = 'audio',
  ) {}
  close() {
    this.closed = true;
    this.observer.emit('close');
  }
}

function setUp() {
  const observers: FakeObserver[] = [];
  const router = {
    createActiveSpeakerObserver: async () => {
      const observer = new FakeObserver();
      observers.push(observer);
      return observer;
    },
  } as unknown as types.Router;
  const told: [Space, string | null][] = [];
  const speakers = new ActiveSpeakers(router, (space, participantId) => told.push([space, participantId]));
  /** The observer that holds `producer` says it dominates. */
  const dominates = (producer: FakeProducer) => {
    const observer = observers.find((o) => o.producerIds.has(producer.id));
    observer?.emit('dominantspeaker', { producer });
  };
  return { speakers, observers, told, dominates };
}

const asProducer = (p: FakeProducer) => p as unknown as types.Producer;

describe('who is speaking, space by space', () => {
  it('observes only audio, and tells the space its speaker once per change', async () => {
    const { speakers, observers, told, dominates } = setUp();
    const ana = new FakeProducer('a1');
    await speakers.observe(asProducer(ana), 'ana', null);
    await speakers.observe(asProducer(new FakeProducer('v1', 'video')), 'ana', null);
    expect([...observers[0]!.producerIds]).toEqual(['a1']);
    dominates(ana);
    dominates(ana);
    expect(told).toEqual([[null, 'ana']]);
    expect(speakers.speakerIn(null)).toBe('ana');
  });

  it('keeps a side room apart: its speaker is never the group’s, and its observer closes when it empties', async () => {
    const { speakers, observers, told, dominates } = setUp();
    const ana = new FakeProducer('a1');
    const ben = new FakeProducer('b1');
    await speakers.observe(asProducer(ana), 'ana', null);
    await speakers.observe(asProducer(ben), 'ben', null);
    dominates(ben);
    await speakers.move([asProducer(ben)], 'side-1');
    // Ben was the group's speaker and left it: the group has none; the side room has its own observer.
    expect(told).toEqual([[null, 'ben'], [null, null]]);
    expect(observers).toHaveLength(2);
    expect([...observers[0]!.producerIds]).toEqual(['a1']);
    dominates(ben);
    expect(told.at(-1)).toEqual(['side-1', 'ben']);
    expect([speakers.speakerIn(null), speakers.speakerIn('side-1')]).toEqual([null, 'ben']);
    await speakers.move([asProducer(ben)], null);
    expect(observers[1]!.closed).toBe(true);
    expect(observers[0]!.closed).toBe(false);
  });

  it('a voice the SFU does not forward is no one’s highlight', async () => {
    const { speakers, told, dominates } = setUp();
    const ana = new FakeProducer('a1');
    await speakers.observe(asProducer(ana), 'ana', null);
    dominates(ana);
    ana.paused = true;
    speakers.silenced('ana');
    dominates(ana); // levels the observer still reads from a paused producer
    expect(told).toEqual([[null, 'ana'], [null, null]]);
    // Unmuted while the observer still holds her dominant (it names a speaker only on a change): lit again.
    ana.paused = false;
    speakers.heardAgain(asProducer(ana));
    expect(told).toEqual([[null, 'ana'], [null, null], [null, 'ana']]);
  });

  it('forgets a producer that closes, and its owner as the speaker', async () => {
    const { speakers, told, dominates } = setUp();
    const ana = new FakeProducer('a1');
    await speakers.observe(asProducer(ana), 'ana', null);
    dominates(ana);
    ana.close();
    dominates(ana);
    expect(told).toEqual([[null, 'ana'], [null, null]]);
  });
});
