// Who has spoken, against the real thing: bots sending Opus-shaped RTP with the audio-level header extension a
// browser sends, through a real worker's audio-level observer. Speaking time and turns reach the staff only; a silent
// microphone and a hard-muted one are not counted; a side room counts; the report carries minutes and turns.
import { expect, it } from 'vitest';
import { ApiKeys } from '../../src/api/api-keys.js';
import type { SessionReport } from '../../src/reports/attendance.js';
import type { TalkEntry } from '../../src/protocol/talk.js';
import { botRooms } from '../helpers/bot-room.js';
import { circleSuite } from '../helpers/fixtures.js';

const API_KEY = 'talk-reports-0123456789abcdef0123456789';
const suite = circleSuite({ load: { botTransports: true }, api: { keys: [ApiKeys.create('reports', API_KEY, ['read'])] } });
const { enter: join } = botRooms(suite);
const enter = (room: string, participantId: string, role: string, silent: boolean) => join(room, participantId, role, { audio: true, videoLayers: 0, silent });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('speaking time and turns: to the staff only, a silent or hard-muted microphone not counted, a side room counted, in the report', async () => {
  const roomId = 'talk';
  const fran = await enter(roomId, 'fran', 'facilitator', true);
  const ana = await enter(roomId, 'ana', 'client', false);
  await enter(roomId, 'ben', 'client', true);
  const latest = () => new Map(((fran.client.events('talkUpdated') as { participants: TalkEntry[] }[]).at(-1)?.participants ?? []).map((e) => [e.participantId, e]));
  const spoken = (id: string) => latest().get(id)?.spokenSeconds ?? 0;
  const waitFor = async (condition: () => boolean, what: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...latest().values()])}`);
      await sleep(100);
    }
  };

  await waitFor(() => spoken('ana') >= 3, 'three seconds of Ana');
  expect(latest().get('ana')!.turns).toBe(1);
  expect(latest().get('ben')).toEqual({ participantId: 'ben', spokenSeconds: 0, turns: 0 }); // has not spoken yet
  expect(spoken('fran')).toBe(0);
  expect(ana.client.events('talkUpdated')).toEqual([]); // clients see nothing of it
  expect(JSON.stringify(ana.client.received)).not.toContain('spokenSeconds');

  // A side room counts where spoken.
  await fran.client.ok('openSideRoom', { participantIds: ['ana'] });
  const beforeSide = spoken('ana');
  await waitFor(() => spoken('ana') >= beforeSide + 3, 'Ana counted in the side room');

  // Hard-muted: the SFU does not forward her voice, and it is not counted, though her microphone keeps sending.
  await fran.client.ok('mute', { participantId: 'ana' });
  await sleep(3500); // the last update of her speech goes out
  const muted = spoken('ana');
  await sleep(3500);
  expect(spoken('ana')).toBe(muted);

  const report = (await (await fetch(`${suite.server.adminUrl}/api/v1/rooms/${roomId}/report`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as SessionReport;
  const anaInReport = report.participants.find((p) => p.participantId === 'ana')!;
  expect(anaInReport.minutesSpoken).toBeGreaterThanOrEqual(Math.floor(muted / 6) / 10);
  expect(anaInReport.minutesSpoken).toBeGreaterThan(0.09);
  expect(anaInReport.turns).toBe(1);
  expect(report.participants.find((p) => p.participantId === 'ben')).toMatchObject({ minutesSpoken: 0, turns: 0 });
});
