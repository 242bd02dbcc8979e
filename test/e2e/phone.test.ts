// Dial-in heard as people hear it: Chromium pages whose microphones are tones, each with an ear (harness/tones.ts),
// and a caller placed by Debian's sipp whose audio is a tone of its own, analysed in Node as the phone hears it.
import { afterAll, expect, it } from 'vitest';
import { joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { SipCaller } from '../../harness/sip-caller.js';
import { heardTones, installEar } from '../../harness/tones.js';
import { browserSuite } from '../helpers/fixtures.js';

const suite = browserSuite({ rooms: { requireAdmission: false }, sessions: { resumeGraceMs: 20_000 } });
const FRAN = 440;
const ANA = 830;
const PHONE = 1000;
let caller: SipCaller | undefined;
afterAll(async () => {
  caller?.close();
});

it("Ana's browser drops, she calls in with the PIN it showed: her held seat, no leave seen; the room hears her phone's tone and she hears the room, not herself", async () => {
  const fran = await joinFromDemo(suite.browser, suite.server.url, 'phone-e2e', 'Fran', 'facilitator', { video: false, toneHz: FRAN });
  const ana = await joinFromDemo(suite.browser, suite.server.url, 'phone-e2e', 'Ana', 'client', { video: false, toneHz: ANA });
  const anaId = await participantIdOf(ana);
  await installEar(fran, [FRAN, ANA, PHONE]);
  await waitUntil(async () => (await heardTones(fran)).join() === String(ANA), 20_000, 'Fran hearing Ana');
  // The page shows the way in by phone before anything goes wrong.
  const shown = await ana.evaluate(() => document.querySelector('#dial-in')?.textContent ?? '');
  const pin = /enter (\d+) #/.exec(shown)?.[1];
  expect(pin).toMatch(/^\d{14}$/);

  // Her internet fails: the page is gone without a goodbye; the server holds the seat.
  await ana.close();
  const room = suite.server.circle.registry.get('phone-e2e')!;
  await waitUntil(async () => room.participant(anaId)?.connection === 'reconnecting', 10_000, 'the seat held');

  caller = await SipCaller.call(suite.server.sipPort!, [{ keys: `${pin}#` }, { awaitBye: true }]);
  caller.speak(0);
  await waitUntil(async () => room.participant(anaId)?.channel.isCall === true, 15_000, 'the phone in the seat');
  caller.speak(PHONE);
  await waitUntil(async () => (await heardTones(fran)).join() === String(PHONE), 10_000, "Fran hearing Ana's phone");
  await waitUntil(
    () => fran.evaluate(() => document.querySelector('#tiles')?.textContent?.includes('Ana (phone)') ?? false),
    5000,
    '"Ana (phone)" on Fran\'s tile',
  );
  // What the phone hears: Fran's tone, not its own.
  await waitUntil(async () => caller!.hears(FRAN) > 0.2, 10_000, "the phone hearing Fran's tone");
  expect(caller.hears(PHONE)).toBeLessThan(0.02);
  expect(await fran.evaluate(() => document.querySelector('#tiles')?.textContent?.includes('Ana') ?? false)).toBe(true);
  expect(room.participant(anaId)?.connection).toBe('connected');

  // The caller speaking is the one lit on Fran's screen: the bridge sends each frame's level as browsers do.
  expect(await sdk(fran, 'setMicrophoneEnabled', false)).toEqual({ ok: true });
  caller.speak(PHONE, { syllables: true });
  await waitUntil(
    () => fran.evaluate((id) => document.getElementById(`peer-${id}`)?.classList.contains('active-speaker') ?? false, anaId),
    10_000,
    "Ana's tile lit while she speaks by phone",
  );
});

it('with her page open, a call keying Ana’s PIN is asked about on her page first: nothing is heard until she says yes, then the phone carries her voice', async () => {
  const fran = await joinFromDemo(suite.browser, suite.server.url, 'phone-ask-e2e', 'Fran', 'facilitator', { video: false, toneHz: FRAN });
  const ana = await joinFromDemo(suite.browser, suite.server.url, 'phone-ask-e2e', 'Ana', 'client', { video: false, toneHz: ANA });
  const anaId = await participantIdOf(ana);
  await installEar(fran, [FRAN, ANA, PHONE]);
  await waitUntil(async () => (await heardTones(fran)).join() === String(ANA), 20_000, 'Fran hearing Ana');
  const pin = /enter (\d+) #/.exec(await ana.evaluate(() => document.querySelector('#dial-in')?.textContent ?? ''))?.[1];

  caller?.close();
  caller = await SipCaller.call(suite.server.sipPort!, [{ keys: `${pin}#` }, { awaitBye: true }]);
  caller.speak(PHONE);
  await waitUntil(() => ana.evaluate(() => document.querySelector('#notice')?.textContent?.includes('A phone is joining as you') ?? false), 15_000, 'the question on her page');
  // Until she answers, the room hears her browser, not the phone, and the phone hears nothing of the room.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect((await heardTones(fran)).join()).toBe(String(ANA));
  expect(caller.hears(FRAN, 1000)).toBeLessThan(0.02);

  await ana.evaluate(() => [...document.querySelectorAll<HTMLButtonElement>('#notice button')].find((b) => b.textContent === 'Yes, it is me')?.click());
  await waitUntil(async () => (await heardTones(fran)).join() === String(PHONE), 15_000, "Fran hearing Ana's phone instead of her browser");
  await waitUntil(() => ana.evaluate(() => !(document.querySelector('#voice-on-phone') as HTMLElement).hidden), 5000, 'her page saying her voice is on the phone');
  await waitUntil(async () => caller!.hears(FRAN) > 0.2, 10_000, 'the phone hearing Fran');
  expect(suite.server.circle.registry.get('phone-ask-e2e')!.participant(anaId)?.callLeg?.confirmed).toBe(true);
});
