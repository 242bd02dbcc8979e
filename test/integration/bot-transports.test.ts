import { expect, it } from 'vitest';
import { MediaBot, MediaClock } from '../../load/lib/media-bot.js';
import { startCircle } from '../../harness/circle.js';
import { circleSuite } from '../helpers/fixtures.js';

// The load harness's media path: plain RTP in, SRTP out, through the same routers and simulcast consumers.
const suite = circleSuite({ load: { botTransports: true } });

it('bots send real RTP that the SFU forwards to every other bot, audio and the preferred simulcast layer', async () => {
  const clock = new MediaClock();
  const lead = await MediaBot.join(suite.server.url, 'bots', 'lead', 'facilitator');
  lead.admitEveryone();
  await lead.startMedia({ audio: true, videoLayers: 3 });
  const others = [await MediaBot.join(suite.server.url, 'bots', 'ann', 'client'), await MediaBot.join(suite.server.url, 'bots', 'bob', 'client')];
  for (const bot of others) await bot.startMedia({ audio: true, videoLayers: 3 });
  for (const bot of [lead, ...others]) clock.add(bot);
  try {
    await new Promise((resolve) => setTimeout(resolve, 4000));
    for (const bot of [lead, ...others]) {
      const { expected, received } = bot.sink.counts();
      expect(bot.sink.firstAudioAt).toBeDefined();
      // Two senders: about 2 × 50 audio packets a second, plus video once a keyframe lets the layer switch.
      expect(received).toBeGreaterThan(2 * 50 * 3);
      expect(received / expected).toBeGreaterThan(0.99);
    }
    const room = suite.server.circle.registry.get('bots')!;
    const videoConsumers = [...room.participants.get(lead.participantId)!.media.consumers.values()].filter((c) => c.kind === 'video');
    expect(videoConsumers.map((c) => c.currentLayers?.spatialLayer)).toEqual([2, 2]);
  } finally {
    clock.stop();
    for (const bot of [lead, ...others]) bot.close();
  }
});

it('a node without load.botTransports refuses them: FORBIDDEN, nothing created', async () => {
  const plain = await startCircle({ rooms: { requireAdmission: false } });
  try {
    const bot = await MediaBot.join(plain.url, 'no-bots', 'lead', 'facilitator');
    expect(await bot.client.call('createBotTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(plain.circle.registry.get('no-bots')!.participants.get(bot.participantId)!.media.transportCount).toBe(0);
    bot.close();
  } finally {
    await plain.stop();
  }
});
