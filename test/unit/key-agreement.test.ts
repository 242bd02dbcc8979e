import { expect, it } from 'vitest';
import { KeyAgreement } from '../../src/e2ee/key-agreement.js';
import { GROUP_CIRCLE } from '../../src/protocol/e2ee.js';

/** A member whose delivery service takes every offer: what it offered, and each circle it was told to speak in. */
function member() {
  const offered: string[] = [];
  const spokenIn: string[] = [];
  const failures: unknown[] = [];
  const agreement = new KeyAgreement(
    { participantId: 'p-cara', role: 'client', displayName: 'Cara' },
    { offer: async (circle) => offered.push(circle), commit: async () => ({}) },
    { epoch: () => undefined, out: () => undefined, failed: (error) => failures.push(error), speakIn: (circle) => spokenIn.push(circle) },
  );
  return { agreement, offered, spokenIn, failures };
}

it('speaks in a side room’s circle from the moment it is asked in, and in the group’s again once told it is out', async () => {
  const { agreement, offered, spokenIn, failures } = member();
  agreement.handle({ kind: 'offer', circle: GROUP_CIRCLE });
  expect(agreement.speakingIn).toBe(GROUP_CIRCLE);
  agreement.handle({ kind: 'offer', circle: 'side-1' });
  // At once, before its offer is even sent: nothing more is sealed with the group's keys.
  expect(agreement.speakingIn).toBe('side-1');
  // Out of a circle it does not speak in: no change.
  agreement.handle({ kind: 'out', circle: 'side-2' });
  expect(agreement.speakingIn).toBe('side-1');
  agreement.handle({ kind: 'out', circle: 'side-1' });
  expect(agreement.speakingIn).toBe(GROUP_CIRCLE);
  await agreement.settled();
  expect(spokenIn).toEqual(['side-1', GROUP_CIRCLE]);
  expect(offered).toEqual([GROUP_CIRCLE, 'side-1']);
  expect(failures).toEqual([]);
});

it('a member no one asked in asks in itself: the group’s circle, then its side room’s, where it speaks', async () => {
  const inGroup = member();
  inGroup.agreement.askIn(null);
  await inGroup.agreement.settled();
  expect(inGroup.offered).toEqual([GROUP_CIRCLE]);
  expect(inGroup.agreement.speakingIn).toBe(GROUP_CIRCLE);

  const inSideRoom = member();
  inSideRoom.agreement.askIn('side-1');
  await inSideRoom.agreement.settled();
  expect(inSideRoom.offered).toEqual([GROUP_CIRCLE, 'side-1']);
  expect(inSideRoom.agreement.speakingIn).toBe('side-1');
});
