import { afterEach } from 'vitest';
import { MediaBot, MediaClock, type BotMedia } from '../../load/lib/media-bot.js';

/**
 * Bots for a suite's rooms, sending real RTP from one clock: `enter` joins one (a facilitator admits everyone who
 * knocks) and starts its media; every bot and the clock stop after each test.
 */
export function botRooms(suite: { server: { url: string } }) {
  let clock: MediaClock | undefined;
  const bots = new Map<string, MediaBot>();
  afterEach(() => {
    clock?.stop();
    clock = undefined;
    for (const bot of bots.values()) bot.close();
    bots.clear();
  });
  return {
    bots,
    async enter(room: string, participantId: string, role: string, media: BotMedia): Promise<MediaBot> {
      clock ??= new MediaClock();
      const bot = await MediaBot.join(suite.server.url, room, participantId, role, participantId);
      if (role === 'facilitator') bot.admitEveryone();
      await bot.startMedia(media);
      clock.add(bot);
      bots.set(participantId, bot);
      return bot;
    },
  };
}
