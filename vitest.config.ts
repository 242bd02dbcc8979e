import { defineConfig } from 'vitest/config';

/**
 * The browser tests of the facilitator's controls, run a second time with every session end-to-end encrypted
 * (`CIRCLE_TEST_E2EE=required`, read by the harness): hard mute and ask-to-unmute, focus, the break, the floor, side
 * rooms, who speaks and spotlight, video as the page shows it and the simulcast ladder's audio-only fallback; a
 * dropped connection and a blackout coming back into the same seat, the group and its keys unchanged.
 */
const E2EE_MATRIX = [
  'test/e2e/moderation.test.ts',
  'test/e2e/floor.test.ts',
  'test/e2e/side-rooms.test.ts',
  'test/e2e/web-app.test.ts',
  'test/e2e/adaptive-video.test.ts',
  'test/e2e/audio-only.test.ts',
  'test/e2e/resume.test.ts',
  'test/e2e/blackout.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    // Integration and browser tests spawn mediasoup workers and Chromium; on a 2-core machine they are
    // measured one file at a time so timing assertions see a quiet machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'circle', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2ee', include: E2EE_MATRIX, env: { CIRCLE_TEST_E2EE: 'required' } } },
    ],
  },
});
