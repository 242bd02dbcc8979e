// The delivery service's ordering rules, with members as real MLS clients (ts-mls) and the port as a list of what
// each was told: a departing committer hands its task on, a commit the circle is not waiting for is refused, and a
// circle everyone left starts anew.
import { expect, it } from 'vitest';
import { CircleDelivery } from '../../src/e2ee/key-delivery.js';
import { GroupKeys } from '../../src/e2ee/group-keys.js';
import type { KeyDeliveryMessage } from '../../src/protocol/e2ee.js';

const told = new Map<string, KeyDeliveryMessage[]>();
const circle = new CircleDelivery('group', { tell: (id, message) => told.set(id, [...(told.get(id) ?? []), message]) });
const lastTo = (id: string) => told.get(id)?.at(-1);
const offer = async (id: string) => {
  const identity = { participantId: id, role: 'client', displayName: id };
  circle.offer(identity, Buffer.from((await GroupKeys.create(identity)).offer()).toString('base64'));
};

it('orders one commit per epoch, hands a departing committer’s change on, and starts anew once everyone left', async () => {
  circle.want('a');
  expect(lastTo('a')).toEqual({ kind: 'offer', circle: 'group' });
  await offer('a');
  expect(lastTo('a')).toEqual({ kind: 'start', circle: 'group' });
  expect(circle.currentEpoch).toBe(0);

  circle.want('b');
  await offer('b');
  expect(lastTo('a')).toMatchObject({ kind: 'change', epoch: 0, add: [{ participantId: 'b' }], remove: [] });
  expect(() => circle.commit('b', 0, 'AAAA', 'AAAA')).toThrow(/not the commit this circle is waiting for/);
  expect(() => circle.commit('a', 0, 'AAAA', undefined)).toThrow(/needs its welcome/);
  expect(circle.commit('a', 0, 'COMMIT', 'WELCOME')).toEqual({ epoch: 1 });
  expect(lastTo('b')).toEqual({ kind: 'welcome', circle: 'group', epoch: 1, welcome: 'WELCOME' });
  expect(() => circle.commit('a', 0, 'COMMIT', 'WELCOME')).toThrow(/not the commit/);

  // c is wanted; a, the committer, leaves before committing: b is asked to add c and remove a, at the same epoch.
  circle.want('c');
  await offer('c');
  expect(lastTo('a')).toMatchObject({ kind: 'change', epoch: 1, add: [{ participantId: 'c' }] });
  circle.unwant('a');
  expect(lastTo('a')).toEqual({ kind: 'out', circle: 'group' });
  expect(lastTo('b')).toMatchObject({ kind: 'change', epoch: 1, add: [{ participantId: 'c' }], remove: ['a'] });
  expect(() => circle.commit('a', 1, 'X', 'Y')).toThrow(/not the commit/);
  circle.commit('b', 1, 'COMMIT2', 'WELCOME2');
  expect(circle.inCircle).toEqual(['b', 'c']);
  expect(lastTo('c')).toMatchObject({ kind: 'welcome', epoch: 2 });

  // Everyone leaves; the next one in starts a new group.
  circle.unwant('b');
  circle.unwant('c');
  expect(circle.currentEpoch).toBeNull();
  circle.want('d');
  await offer('d');
  expect(lastTo('d')).toEqual({ kind: 'start', circle: 'group' });
  expect(circle.inCircle).toEqual(['d']);
});
