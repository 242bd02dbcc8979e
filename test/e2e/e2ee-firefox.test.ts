// End-to-end encryption in Firefox ESR beside Chromium: a Firefox client and a Chromium facilitator, each with a
// camera, in an encrypted session.
// - The facilitator decodes Firefox's video: Chromium's worker drops any frame it cannot open, so Firefox sealed each
//   with the group's keys.
// - Firefox decodes the facilitator's video through its own worker, which opens each frame.
// - Both list the same members under the same verification code, read from the group itself.
// Sound is not the measure here: headless Firefox on a machine without a sound card runs no audio graph, and its fake
// microphone sends silence (as it does without encryption).
import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { firefoxSuite } from '../helpers/fixtures.js';

const suite = firefoxSuite({ e2ee: { mode: 'required' } });

const encryptionOf = (page: Page) =>
  page.evaluate(() => {
    const encryption = (window as unknown as { circle: { client: { encryption: { active: boolean; state: { epoch: bigint; members: { displayName: string }[]; verificationCode: string } | null } } } }).circle.client.encryption;
    const state = encryption.state;
    return { active: encryption.active, epoch: state ? Number(state.epoch) : -1, members: state?.members.map((m) => m.displayName).sort() ?? [], code: state?.verificationCode ?? '' };
  });

/** The width of the video frames the page decodes now, from the one other person's camera. */
const decodedWidth = (page: Page) =>
  page.evaluate(async () => ((await (window as unknown as { circle: { client: { inboundStats(k: string): Promise<{ frameWidth?: number }[]> } } }).circle.client.inboundStats('video'))[0]?.frameWidth ?? 0));

it('a Firefox client and a Chromium facilitator: each opens what the other sealed, and both list the same members and code', async () => {
  const fran = await joinFromDemo(suite.chromium, suite.server.url, 'e2ee-firefox', 'Fran', 'facilitator', { video: true });
  const fox = await joinFromDemo(suite.firefox, suite.server.url, 'e2ee-firefox', 'Fox', 'client', { video: true });
  expect((await sdk(fran, 'admit', await participantIdOf(fox))).ok).toBe(true);
  await waitUntil(async () => (await decodedWidth(fran)) > 0 && (await decodedWidth(fox)) > 0, 20_000, 'each decoding the other’s video');
  const [franSees, foxSees] = [await encryptionOf(fran), await encryptionOf(fox)];
  expect(foxSees).toEqual(franSees);
  expect(franSees).toMatchObject({ active: true, members: ['Fox', 'Fran'], code: expect.stringMatching(/^\d{3} \d{3} \d{3}$/) });
}, 90_000);
