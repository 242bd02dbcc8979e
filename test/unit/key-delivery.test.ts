// The delivery service's ordering rules, with members as real MLS clients (ts-mls) and the port as a list of what
// each was told: a departing committer hands its task on, a commit the circle is not waiting for is refused, and a
// circle everyone left starts anew; the staff commit first, and a committer that does not answer is passed over.
import { expect, it, vi } from 'vitest';
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

it('the staff are asked to commit first; a committer that does not answer in time is passed over for that epoch', async () => {
  const heard = new Map<string, KeyDeliveryMessage[]>();
  const staffFirst = new CircleDelivery('group', { tell: (id, message) => heard.set(id, [...(heard.get(id) ?? []), message]) }, 1000);
  const last = (id: string) => heard.get(id)?.at(-1);
  const offerTo = async (id: string, role: string) => {
    const identity = { participantId: id, role, displayName: id };
    staffFirst.offer(identity, Buffer.from((await GroupKeys.create(identity)).offer()).toString('base64'));
  };
  vi.useFakeTimers();
  try {
    // A client is in first and starts the group; the facilitator joins it; from then on she commits, not the client.
    staffFirst.want('client-1');
    await offerTo('client-1', 'client');
    staffFirst.want('lead', { staff: true });
    await offerTo('lead', 'facilitator');
    expect(last('client-1')).toMatchObject({ kind: 'change', epoch: 0, add: [{ participantId: 'lead' }] });
    staffFirst.commit('client-1', 0, 'C0', 'W0');
    staffFirst.want('client-2');
    await offerTo('client-2', 'client');
    expect(last('lead')).toMatchObject({ kind: 'change', epoch: 1, add: [{ participantId: 'client-2' }] });
    expect(last('client-1')).toMatchObject({ kind: 'change', epoch: 0 }); // its own, answered: nothing new

    // She does not answer: after the deadline the client is asked instead, and her late commit is refused.
    vi.advanceTimersByTime(999);
    expect(last('client-1')).toMatchObject({ kind: 'change', epoch: 0 });
    vi.advanceTimersByTime(1);
    expect(last('client-1')).toMatchObject({ kind: 'change', epoch: 1, add: [{ participantId: 'client-2' }], remove: [] });
    expect(() => staffFirst.commit('lead', 1, 'LATE', 'LATE')).toThrow(/not the commit/);
    staffFirst.commit('client-1', 1, 'C1', 'W1');
    expect(last('lead')).toEqual({ kind: 'commit', circle: 'group', epoch: 1, commit: 'C1' });
    expect(staffFirst.currentEpoch).toBe(2);

    // At the next epoch she is first again.
    staffFirst.unwant('client-2');
    expect(last('lead')).toMatchObject({ kind: 'change', epoch: 2, remove: ['client-2'] });
    staffFirst.close();
  } finally {
    vi.useRealTimers();
  }
});

it('a circle two are wanted in at once starts with whoever offers first, and asks the other for one key package only', async () => {
  const asked = new Map<string, KeyDeliveryMessage[]>();
  const side = new CircleDelivery('side-1', { tell: (id, message) => asked.set(id, [...(asked.get(id) ?? []), message]) });
  side.want('lead', { staff: true });
  side.want('client');
  const identity = (id: string) => ({ participantId: id, role: id === "lead" ? "facilitator" : "client", displayName: id });
  side.offer(identity('client'), Buffer.from((await GroupKeys.create(identity('client'))).offer()).toString('base64'));
  expect(asked.get('client')?.at(-1)).toEqual({ kind: 'start', circle: 'side-1' });
  // The lead's package is on its way: a second ask would make its page replace the package the commit will use.
  expect(asked.get('lead')).toEqual([{ kind: 'offer', circle: 'side-1' }]);
  side.offer(identity('lead'), Buffer.from((await GroupKeys.create(identity('lead'))).offer()).toString('base64'));
  expect(asked.get('client')?.at(-1)).toMatchObject({ kind: 'change', epoch: 0, add: [{ participantId: 'lead' }], remove: [] });
});

it('takes a call’s key package only as the seat’s call, and a page’s only as the page: no page can pass for a phone, nor a bridge for a page', async () => {
  const calls = new CircleDelivery('group', { tell: () => undefined });
  const page = { participantId: 'ana', role: 'client', displayName: 'Ana' };
  const call = { participantId: 'ana/phone', role: 'client', displayName: 'Ana', phone: true as const };
  calls.want('ana');
  calls.want('ana/phone');
  const packageOf = async (identity: typeof page | typeof call) => Buffer.from((await GroupKeys.create(identity)).offer()).toString('base64');
  // A page's package claiming to be a call, and a call's with the flag dropped: refused, nothing changes.
  expect(() => calls.offer(page, 'x')).toThrow(/key package refused/);
  const pretending = await packageOf({ ...page, phone: true });
  expect(() => calls.offer(page, pretending)).toThrow(/credential is not this seat/);
  const unmarked = await packageOf({ participantId: 'ana/phone', role: 'client', displayName: 'Ana' });
  expect(() => calls.offer(call, unmarked)).toThrow(/credential is not this seat/);
  expect(calls.currentEpoch).toBeNull();
  // Each as itself: the page starts the circle, and the call's package is the next addition.
  calls.offer(page, await packageOf(page));
  calls.offer(call, await packageOf(call));
  expect(calls.currentEpoch).toBe(0);
  expect(calls.inCircle).toEqual(['ana']);
});
