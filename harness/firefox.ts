import puppeteer, { type Browser } from 'puppeteer-core';

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/**
 * Debian's Firefox ESR, headless, driven over WebDriver BiDi, with Firefox's own fake camera and microphone (a test
 * pattern and a tone) granted without asking. Firefox gathers no ICE candidates on loopback: a test gives the SFU a
 * non-loopback address of this machine (see local-address.ts).
 */
export async function launchFirefox(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      'media.autoplay.blocking_policy': 0,
    },
  });
  return { browser, close: () => browser.close() };
}
