// The room's circles of keys, told by the room who is admitted, who moved and who left: the group's circle for every
// admitted seat that can encrypt, a side room's for those in it (asked before their media moves), out of it on the
// way back, and a side room's circle gone once no one is in it.
import { expect, it } from 'vitest';
import { RoomCircles } from '../../src/rooms/room-circles.js';
import type { KeyDeliveryMessage } from '../../src/protocol/e2ee.js';

it('asks a seat into the group and its side room, moves it between circles, and ends a side room’s circle once it is empty', () => {
  const told: [string, KeyDeliveryMessage][] = [];
  const circles = new RoomCircles({ tell: (id, message) => told.push([id, message]) });
  const said = () => told.splice(0).map(([id, m]) => `${id} ${m.kind} ${m.circle}`);

  circles.admitted({ id: 'fran', staff: true, sideRoomId: null });
  circles.admitted({ id: 'ana', staff: false, sideRoomId: null });
  expect(said()).toEqual(['fran offer group', 'ana offer group']);

  // A side room opens with both: each is asked into its circle, and stays in the group's.
  circles.moved({ id: 'fran', staff: true, sideRoomId: 'side-1' }, null);
  circles.moved({ id: 'ana', staff: false, sideRoomId: 'side-1' }, null);
  expect(said()).toEqual(['fran offer side-1', 'ana offer side-1']);
  expect(circles.circle('side-1')?.circle).toBe('side-1');
  expect(circles.circle('group')?.circle).toBe('group');

  // A seat restored into the side room (a failover) is asked into both at once; a move to where it is changes nothing.
  circles.admitted({ id: 'ben', staff: false, sideRoomId: 'side-1' });
  circles.moved({ id: 'ben', staff: false, sideRoomId: 'side-1' }, 'side-1');
  expect(said()).toEqual(['ben offer group', 'ben offer side-1']);

  // Back to the group: out of the side room's circle only; leaving the session: out of every circle.
  circles.moved({ id: 'ana', staff: false, sideRoomId: null }, 'side-1');
  circles.left({ id: 'ben', staff: false, sideRoomId: 'side-1' });
  expect(said()).toEqual(['ana out side-1', 'ben out group', 'ben out side-1']);

  // The last one out: the side room's circle is gone, and a request naming it finds nothing.
  circles.moved({ id: 'fran', staff: true, sideRoomId: null }, 'side-1');
  expect(said()).toEqual(['fran out side-1']);
  expect(circles.circle('side-1')).toBeUndefined();
  expect(circles.circle('side-2')).toBeUndefined();
});
