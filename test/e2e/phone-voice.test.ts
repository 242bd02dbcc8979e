// Dial-in with the browser still in: the phone carries the seat's voice, the browser keeps the video. Heard as people
// hear it: Chromium pages whose microphones are tones, each with an ear (harness/tones.ts), and a caller placed by
// Debian's sipp whose own tone is analysed in Node as the phone hears it.
import { afterAll, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { bytesFrom, joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { SipCaller } from '../../harness/sip-caller.js';
import { heardTones, installEar } from '../../harness/tones.js';
import { browserSuite } from '../helpers/fixtures.js';

const suite = browserSuite({ rooms: { requireAdmission: false }, phone: { rtpTimeoutMs: 2000 } });
const FRAN = 440;
const ANA = 830;
const PHONE = 1000;
let caller: SipCaller | undefined;
afterAll(async () => {
  caller?.close();
});

const shown = (page: Page, selector: string) =>
  page.evaluate((s) => {
    const element = document.querySelector<HTMLElement>(s);
    return element !== null && !element.hidden;
  }, selector);

it("Ana calls in while her browser is connected: the room hears her phone and not her browser's microphone, her browser plays nothing and keeps sending video; when the line dies her browser has its voice back", async () => {
  const fran = await joinFromDemo(suite.browser, suite.server.url, 'phone-voice', 'Fran', 'facilitator', { video: false, toneHz: FRAN });
  const ana = await joinFromDemo(suite.browser, suite.server.url, 'phone-voice', 'Ana', 'client', { video: true, toneHz: ANA });
  const anaId = await participantIdOf(ana);
  await installEar(fran, [FRAN, ANA, PHONE]);
  await installEar(ana, [FRAN, ANA, PHONE]);
  await waitUntil(async () => (await heardTones(fran)).join() === String(ANA), 20_000, 'Fran hearing Ana');
  await waitUntil(async () => (await heardTones(ana)).join() === String(FRAN), 20_000, 'Ana hearing Fran');
  const pin = /enter (\d+) #/.exec(await ana.evaluate(() => document.querySelector('#dial-in')?.textContent ?? ''))?.[1];
  expect(pin).toMatch(/^\d{14}$/);

  caller = await SipCaller.call(suite.server.sipPort!, [{ keys: `${pin}#` }, { awaitBye: true }]);
  caller.speak(0);
  const room = suite.server.circle.registry.get('phone-voice')!;
  // Her page asks whether the call is hers; she says yes.
  await waitUntil(() => ana.evaluate(() => document.querySelector('#notice')?.textContent?.includes('A phone is joining as you') ?? false), 15_000, 'the question on her page');
  await ana.evaluate(() => [...document.querySelectorAll<HTMLButtonElement>('#notice button')].find((b) => b.textContent === 'Yes, it is me')?.click());
  await waitUntil(async () => room.participant(anaId)?.callLeg?.confirmed === true, 15_000, 'the call carrying her voice');
  caller.speak(PHONE);

  // The room hears the phone, never the browser's microphone (paused at the SFU): nobody hears her twice.
  await waitUntil(async () => (await heardTones(fran)).join() === String(PHONE), 10_000, "Fran hearing Ana's phone only");
  // Her browser plays nothing of the room (its audio is paused at the SFU), so its speakers cannot echo into the call.
  await waitUntil(async () => (await heardTones(ana)).length === 0, 10_000, "Ana's browser hearing nothing");
  await waitUntil(() => shown(ana, '#voice-on-phone'), 5000, 'Ana told her voice is on the phone');
  // The phone hears Fran, and neither itself nor the browser's tone.
  await waitUntil(async () => caller!.hears(FRAN) > 0.2, 10_000, "the phone hearing Fran's tone");
  expect(caller.hears(PHONE)).toBeLessThan(0.02);
  expect(caller.hears(ANA)).toBeLessThan(0.02);

  // The browser still holds the seat and still sends her video.
  expect(room.participant(anaId)?.connectionChannel.isCall).toBeFalsy();
  const videoBefore = await bytesFrom(fran, anaId, 'video');
  await waitUntil(async () => (await bytesFrom(fran, anaId, 'video')) > videoBefore + 20_000, 10_000, "Ana's video still reaching Fran");
  const tile = () => fran.evaluate((id) => document.getElementById(`peer-${id}`)?.textContent ?? '', anaId);
  await waitUntil(async () => (await tile()).includes('Ana (phone)'), 5000, '"Ana (phone)" on her tile');
  expect(await tile()).not.toContain('Muted');

  // A facilitator's mute reaches the phone at the SFU, as it would the browser's microphone.
  expect(await sdk(fran, 'mute', anaId)).toEqual({ ok: true });
  await waitUntil(async () => (await heardTones(fran)).length === 0, 10_000, 'the muted phone silent for Fran');
  expect(await sdk(fran, 'askToUnmute', anaId)).toEqual({ ok: true });
  expect(await sdk(ana, 'setMicrophoneEnabled', true)).toEqual({ ok: true });
  await waitUntil(async () => (await heardTones(fran)).join() === String(PHONE), 10_000, 'the phone heard again once Ana unmutes');

  // The line goes dead: the browser keeps the seat and has its voice back, and the others never saw a leave.
  caller.fallSilent();
  await waitUntil(async () => room.participant(anaId)?.callLeg === null, 10_000, 'the dead call let go of her voice');
  await waitUntil(async () => (await heardTones(fran)).join() === String(ANA), 10_000, "Fran hearing Ana's browser again");
  await waitUntil(async () => (await heardTones(ana)).join() === String(FRAN), 10_000, 'Ana hearing Fran in the browser again');
  expect(await shown(ana, '#voice-on-phone')).toBe(false);
  expect(room.participant(anaId)?.connection).toBe('connected');
  await waitUntil(async () => !(await tile()).includes('(phone)'), 5000, 'her tile without "(phone)"');
});
