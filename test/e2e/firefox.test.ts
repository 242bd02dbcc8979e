// Firefox ESR as a client next to a Chromium facilitator: it joins through the waiting room and is admitted, media
// flows both ways, a hard mute silences it at the SFU, and a dropped connection resumes into the same seat.
import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { audioFrom, joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { firefoxSuite } from '../helpers/fixtures.js';

const suite = firefoxSuite({ rooms: { requireAdmission: true }, sessions: { resumeGraceMs: 15_000 } });

const state = (page: Page) => page.evaluate(() => (window as unknown as { circle: { client: { state: string } } }).circle.client.state);

it('a Firefox client waits, is admitted, hears and is heard, is hard-muted at the SFU, and resumes after a drop', async () => {
  const fran = await joinFromDemo(suite.chromium, suite.server.url, 'firefox-e2e', 'Fran', 'facilitator', { video: false });
  const fox = await joinFromDemo(suite.firefox, suite.server.url, 'firefox-e2e', 'Fox', 'client', { video: false });
  expect(await state(fox)).toBe('waiting');
  const foxId = await participantIdOf(fox);
  expect((await sdk(fran, 'admit', foxId)).ok).toBe(true);
  await waitUntil(async () => (await state(fox)) === 'joined', 10_000, 'Fox admitted');

  const franId = await participantIdOf(fran);
  await waitUntil(async () => (await audioFrom(fran, foxId)) > 0 && (await audioFrom(fox, franId)) > 0, 20_000, 'audio both ways');

  // A hard mute pauses Fox's microphone at the SFU: Fran's page stops receiving it.
  const room = suite.server.circle.registry.get('firefox-e2e')!;
  expect((await sdk(fran, 'mute', foxId)).ok).toBe(true);
  await waitUntil(async () => [...room.participant(foxId)!.media.producers.values()].every((p) => p.kind !== 'audio' || p.paused), 5000, 'paused at the SFU');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const whileMuted = await audioFrom(fran, foxId);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await audioFrom(fran, foxId)).toBe(whileMuted);
  expect((await sdk(fox, 'setMicrophoneEnabled', true)).code).toBe('FORBIDDEN');

  // The connection drops under Firefox's page; the SDK resumes into the same seat, still muted, still hearing.
  await fox.evaluate(() => {
    const client = (window as unknown as { circle: { client: { connection: { socket: { io: { engine: { close(): void } } } } } } }).circle.client;
    client.connection.socket.io.engine.close();
  });
  await waitUntil(async () => (await state(fox)) === 'rejoining', 5000, 'Fox reconnecting');
  await waitUntil(async () => (await state(fox)) === 'joined', 20_000, 'Fox back');
  expect(await participantIdOf(fox)).toBe(foxId);
  const heard = await audioFrom(fox, franId);
  await waitUntil(async () => (await audioFrom(fox, franId)) > heard, 20_000, 'Fox hearing Fran again');
  expect(room.participant(foxId)!.locks.audio).toBe(true);
});
