// The rules of adaptive video without a worker: which layer fills a tile, whose video goes first under a budget, and
// what a receiver's consumers are set to, against fake consumers that record what they are asked.
import { describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { loadConfig } from '../../src/config/load.js';
import { EstimateFloor } from '../../src/media/estimate-floor.js';
import { Receiving, type ConsumerAppData, type ReceivePolicy } from '../../src/media/receiving.js';
import { ESTIMATE_CATCHES_UP_MS, QualityLadder } from '../../src/quality/ladder.js';
import { layerForTile, SPEAKER_PRIORITY, STAFF_PRIORITY, videoPriority } from '../../src/media/tile-layers.js';
import type { Participant } from '../../src/rooms/participant.js';
import { VideoPriorities } from '../../src/rooms/video-priorities.js';

describe('the layer that fills a tile', () => {
  const vga = { width: 640, height: 480 };
  it('is the smallest drawn at most 1.25× its size, whatever the tile’s shape (cover)', () => {
    expect(layerForTile({ width: 160, height: 120 }, vga)).toBe(0);
    expect(layerForTile({ width: 200, height: 150 }, vga)).toBe(0); // 160×120 drawn 1.25×
    expect(layerForTile({ width: 201, height: 100 }, vga)).toBe(1); // wide: its width decides
    expect(layerForTile({ width: 100, height: 151 }, vga)).toBe(1); // tall: its height decides
    expect(layerForTile({ width: 400, height: 300 }, vga)).toBe(1);
    expect(layerForTile({ width: 401, height: 300 }, vga)).toBe(2);
    expect(layerForTile({ width: 3840, height: 2160 }, vga)).toBe(2); // larger than the camera: the top
  });
  it('takes an undeclared camera for 720p', () => {
    expect(layerForTile({ width: 400, height: 225 })).toBe(0); // 320×180 drawn 1.25×
    expect(layerForTile({ width: 640, height: 360 })).toBe(1);
  });
});

describe('whose video goes first', () => {
  it('the speaker (or floor holder), then the staff, then the rest by how lately they spoke', () => {
    expect(videoPriority({ speaking: true, staff: false, recency: 9 })).toBe(SPEAKER_PRIORITY);
    expect(videoPriority({ speaking: false, staff: true, recency: 9 })).toBe(STAFF_PRIORITY);
    const rest = [0, 1, 2, 150].map((recency) => videoPriority({ speaking: false, staff: false, recency }));
    expect(rest).toEqual([...rest].sort((a, b) => b - a));
    expect(rest[0]).toBeLessThan(STAFF_PRIORITY);
    expect(rest.at(-1)).toBe(1); // mediasoup's least; 0 would be "wants no bandwidth"
  });

  it('remembers who spoke lately; a new speaker or floor holder re-applies every receiver', () => {
    const people = ['fran', 'ana', 'ben', 'cy'].map((id) => ({
      id,
      role: id === 'fran' ? 'facilitator' : 'client',
      sideRoomId: null,
      reapplied: 0,
      media: { applyReceivingToAll: async () => void (people.find((p) => p.id === id)!.reapplied += 1) },
    }));
    let speaker: string | null = null;
    let holder: string | null = null;
    const priorities = new VideoPriorities(
      {
        participant: (id) => people.find((p) => p.id === id) as unknown as Participant,
        admitted: () => people as unknown as Participant[],
        speakerIn: () => speaker,
        floorHolder: () => holder,
      },
      (error) => {
        throw error;
      },
    );
    expect(priorities.of('fran')).toBe(STAFF_PRIORITY);
    expect(priorities.of('ana')).toBe(priorities.of('cy')); // neither has spoken
    for (const id of ['ana', 'ben', 'cy']) {
      speaker = id;
      priorities.speakerChanged(id);
    }
    expect(priorities.of('cy')).toBe(SPEAKER_PRIORITY);
    expect(priorities.of('ben')).toBeGreaterThan(priorities.of('ana'));
    speaker = 'fran';
    priorities.speakerChanged('fran');
    expect(priorities.of('cy')).toBeGreaterThan(priorities.of('ben'));
    holder = 'ana';
    priorities.changed();
    expect(priorities.of('ana')).toBe(SPEAKER_PRIORITY);
    expect(people.every((p) => p.reapplied === 5)).toBe(true);
    priorities.forget('cy');
    expect(priorities.of('cy')).toBeLessThan(priorities.of('ben'));
  });
});

/** A consumer as `Receiving` sees it: what it was last set to. */
function fakeConsumer(id: string, kind: 'audio' | 'video', participantId: string) {
  return {
    id,
    kind,
    type: kind === 'video' ? 'simulcast' : 'simple',
    closed: false,
    paused: true,
    priority: 1,
    preferredLayers: undefined as { spatialLayer: number } | undefined,
    appData: { participantId, source: kind === 'audio' ? 'microphone' : 'camera', videoSize: { width: 640, height: 480 } } as ConsumerAppData,
    async setPreferredLayers(layers: { spatialLayer: number }) {
      this.preferredLayers = layers;
    },
    async setPriority(priority: number) {
      this.priority = priority;
    },
    async pause() {
      this.paused = true;
    },
    async resume() {
      this.paused = false;
    },
  };
}

describe('what a receiver’s consumers are set to', () => {
  function receiver(policy: Partial<ReceivePolicy> = {}) {
    const consumers = new Map([
      ['v', fakeConsumer('v', 'video', 'ben')],
      ['a', fakeConsumer('a', 'audio', 'ben')],
    ]);
    let layers = 3;
    let returned = 0;
    const floors: number[] = [];
    const transport = { closed: false, setMinOutgoingBitrate: async (bps: number) => void floors.push(bps) } as unknown as types.Transport;
    const receiving = new Receiving(
      consumers as unknown as Map<string, types.Consumer<ConsumerAppData>>,
      { videoLayers: () => layers, followViews: true, startsSmall: false, priorityOf: () => 42, ...policy },
      new EstimateFloor(1_000_000),
      { transport: () => transport, videoReturned: () => void (returned += 1) },
    );
    const [video, audio] = [consumers.get('v')!, consumers.get('a')!];
    const start = async () => {
      await receiving.resumedByClient(video as unknown as types.Consumer<ConsumerAppData>);
      await receiving.resumedByClient(audio as unknown as types.Consumer<ConsumerAppData>);
    };
    return { receiving, video, audio, start, setLayers: (n: number) => (layers = n), returned: () => returned, floors };
  }

  it('the tile’s layer, capped by the link’s ladder; the sender’s priority; hidden or empty tiles paused, audio never', async () => {
    const { receiving, video, audio, start, setLayers } = receiver();
    await start();
    expect([video.paused, video.preferredLayers?.spatialLayer, video.priority]).toEqual([false, 2, 42]);
    await receiving.setViews([{ consumerId: 'v', width: 300, height: 225, visible: true }]);
    expect(video.preferredLayers?.spatialLayer).toBe(1);
    setLayers(1);
    await receiving.applyToAll();
    expect(video.preferredLayers?.spatialLayer).toBe(0);
    setLayers(3);
    await receiving.setViews([{ consumerId: 'v', width: 300, height: 225, visible: false }, { consumerId: 'a', width: 0, height: 0, visible: false }]);
    expect([video.paused, audio.paused]).toEqual([true, false]);
    await receiving.setViews([{ consumerId: 'v', width: 0, height: 225, visible: true }]);
    expect(video.paused).toBe(true);
    await receiving.setViews([{ consumerId: 'v', width: 100, height: 75, visible: true }]);
    expect([video.paused, video.preferredLayers?.spatialLayer]).toEqual([false, 0]);
    // The ladder's audio-only still wins over a visible tile.
    setLayers(0);
    await receiving.applyToAll();
    expect([video.paused, audio.paused]).toEqual([true, false]);
  });

  it('a page that declares its tiles gets the smallest layer of a video until it has declared it; one that does not, the largest', async () => {
    const declaring = receiver({ startsSmall: true });
    await declaring.start();
    expect([declaring.video.paused, declaring.video.preferredLayers?.spatialLayer]).toEqual([false, 0]);
    await declaring.receiving.setViews([{ consumerId: 'v', width: 1200, height: 675, visible: true }]);
    expect(declaring.video.preferredLayers?.spatialLayer).toBe(2);
    const silent = receiver();
    await silent.start();
    expect(silent.video.preferredLayers?.spatialLayer).toBe(2);
  });

  it('views are ignored when adaptive video is off', async () => {
    const { receiving, video, start } = receiver({ followViews: false });
    await start();
    await receiving.setViews([{ consumerId: 'v', width: 100, height: 75, visible: false }]);
    expect([video.paused, video.preferredLayers?.spatialLayer]).toEqual([false, 2]);
  });

  it('video running again after none ran (every tile hidden) floors the estimate and says so; a tile already running does not', async () => {
    const { receiving, start, returned, floors } = receiver();
    await start();
    expect([returned(), floors]).toEqual([0, []]); // a first video is no return
    await receiving.setViews([{ consumerId: 'v', width: 100, height: 75, visible: false }]);
    await receiving.setViews([{ consumerId: 'v', width: 100, height: 75, visible: true }]);
    expect([returned(), floors]).toEqual([1, [150_000]]);
    await receiving.setViews([{ consumerId: 'v', width: 640, height: 480, visible: true }]);
    expect(returned()).toBe(1);
    receiving.stop();
  });
});

it('the link’s ladder does not read the estimate for a while after video returns from hidden tiles', () => {
  const settings = loadConfig({ env: { NODE_ENV: 'test' } }).quality;
  const ladder = new QualityLadder(3, settings);
  const starved = { loss: 0, bitrateBps: 40_000 };
  ladder.videoReturned(0);
  for (let now = 0; now < ESTIMATE_CATCHES_UP_MS; now += 1000) expect(ladder.observe(starved, now)).toBeUndefined();
  expect(ladder.level).toBe(3);
  // Once caught up, a starved estimate is read as before.
  let stepped: number | undefined;
  for (let now = ESTIMATE_CATCHES_UP_MS; stepped === undefined && now < 60_000; now += 1000) stepped = ladder.observe(starved, now);
  expect(stepped).toBe(0);
});
