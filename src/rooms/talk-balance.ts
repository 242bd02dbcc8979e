import type { TalkEntry } from '../protocol/talk.js';
import type { Audience } from './audience.js';
import type { SpokenSince } from './room-port.js';

/** Silence this long ends a turn: the next word starts another. */
const TURN_GAP_MS = 2000;
/** How often the staff's view and the session's report catch up, while anyone speaks. */
const PUBLISH_EVERY_MS = 3000;

interface Spoken {
  spokenMs: number;
  turns: number;
  lastHeardAt: number;
  /** What the report has been told of already. */
  reportedMs: number;
  reportedTurns: number;
}

/**
 * Who has spoken this session and how much: speaking time and turns per participant, counted from the SFU's audio
 * levels (never the audio) and kept in memory, for the staff's live view (`talkUpdated`, every few seconds while
 * anyone speaks) and the session's report (told what was spoken since it last heard, so a room reopened after a
 * worker's death adds to it rather than starting it over). Content-free by construction: all it ever learns is
 * that someone was heard for a quarter of a second. Clients are sent nothing of it.
 */
export class TalkBalance {
  readonly #spoken = new Map<string, Spoken>();
  #changed = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly audience: Audience,
    private readonly report: (spoken: SpokenSince[]) => void,
  ) {
    this.#timer = setInterval(() => this.publish(), PUBLISH_EVERY_MS).unref();
  }

  heard(participantId: string, ms: number, now = Date.now()): void {
    let spoken = this.#spoken.get(participantId);
    if (!spoken) this.#spoken.set(participantId, (spoken = { spokenMs: 0, turns: 0, lastHeardAt: -Infinity, reportedMs: 0, reportedTurns: 0 }));
    // A level report comes every `ms` while they speak: a longer silence than the turn gap since the last is a new turn.
    if (now - spoken.lastHeardAt > TURN_GAP_MS + ms) spoken.turns += 1;
    spoken.spokenMs += ms;
    spoken.lastHeardAt = now;
    this.#changed = true;
  }

  /** Everyone admitted who may speak, as the staff see them (0 s and 0 turns: has not spoken yet). */
  staffView(): TalkEntry[] {
    return this.audience
      .admitted()
      .filter((participant) => participant.role !== 'observer')
      .map(({ id }) => {
        const spoken = this.#spoken.get(id);
        return { participantId: id, spokenSeconds: Math.round((spoken?.spokenMs ?? 0) / 1000), turns: spoken?.turns ?? 0 };
      });
  }

  /** If anyone spoke since the last time: the staff are sent the balance, the report what was spoken meanwhile. */
  publish(): void {
    if (!this.#changed) return;
    this.#changed = false;
    const participants = this.staffView();
    for (const moderator of this.audience.moderators()) moderator.channel.send('talkUpdated', { participants });
    const since: SpokenSince[] = [];
    for (const [participantId, spoken] of this.#spoken) {
      if (spoken.spokenMs === spoken.reportedMs) continue;
      since.push({ participantId, spokenMs: spoken.spokenMs - spoken.reportedMs, turns: spoken.turns - spoken.reportedTurns });
      spoken.reportedMs = spoken.spokenMs;
      spoken.reportedTurns = spoken.turns;
    }
    this.report(since);
  }

  /** The session or the room ends: the last of it is told, and the clock stops. */
  stop(): void {
    this.publish();
    clearInterval(this.#timer);
  }
}
