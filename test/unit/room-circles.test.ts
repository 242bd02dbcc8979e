// The room's circles of keys, told by the room what each admitted seat is, where it moves and when it leaves: the
// group's circle for every member a seat has (its page if it can encrypt, its phone while a call carries its voice),
// a side room's for those in it (asked before their media moves), out of it on the way back, and a side room's circle
// gone once no one is in it.
import { expect, it } from 'vitest';
import { RoomCircles, type CircleSeat } from '../../src/rooms/room-circles.js';
import type { KeyDeliveryMessage } from '../../src/protocol/e2ee.js';

const page = (id: string, sideRoomId: string | null = null, staff = false): CircleSeat => ({ id, staff, sideRoomId, page: true, call: false });

function circlesTelling() {
  const told: [string, KeyDeliveryMessage][] = [];
  const circles = new RoomCircles({ tell: (id, message) => told.push([id, message]) });
  const said = () => told.splice(0).map(([id, m]) => `${id} ${m.kind} ${m.circle}`);
  return { circles, said };
}

it('asks a seat into the group and its side room, moves it between circles, and ends a side room’s circle once it is empty', () => {
  const { circles, said } = circlesTelling();
  circles.seated(page('fran', null, true));
  circles.seated(page('ana'));
  expect(said()).toEqual(['fran offer group', 'ana offer group']);

  // A side room opens with both: each is asked into its circle, and stays in the group's.
  circles.moved({ id: 'fran', staff: true }, 'side-1');
  circles.moved({ id: 'ana', staff: false }, 'side-1');
  expect(said()).toEqual(['fran offer side-1', 'ana offer side-1']);
  expect(circles.circle('side-1')?.circle).toBe('side-1');
  expect(circles.circle('group')?.circle).toBe('group');

  // A seat restored into the side room (a failover) is asked into both at once; a move to where it is changes nothing;
  // a seat told again as it is (a reload) is not asked again (its page offers on its own).
  circles.seated(page('ben', 'side-1'));
  circles.moved({ id: 'ben', staff: false }, 'side-1');
  circles.seated(page('ben', 'side-1'));
  expect(said()).toEqual(['ben offer group', 'ben offer side-1']);

  // Back to the group: out of the side room's circle only; leaving the session: out of every circle.
  circles.moved({ id: 'ana', staff: false }, null);
  circles.left('ben');
  expect(said()).toEqual(['ana out side-1', 'ben out group', 'ben out side-1']);

  // The last one out: the side room's circle is gone, and a request naming it finds nothing.
  circles.moved({ id: 'fran', staff: true }, null);
  expect(said()).toEqual(['fran out side-1']);
  expect(circles.circle('side-1')).toBeUndefined();
  expect(circles.circle('side-2')).toBeUndefined();
});

it('gives a seat whose voice is on a call a phone member of its own, which follows the seat and goes with the call', () => {
  const { circles, said } = circlesTelling();
  circles.seated(page('fran', null, true));
  // Ana's page is in and her voice goes onto a call: her phone is asked in beside her page.
  circles.seated(page('ana'));
  circles.seated({ ...page('ana'), call: true });
  expect(said()).toEqual(['fran offer group', 'ana offer group', 'ana/phone offer group']);
  // Her page goes (the call holds the seat alone): only the page is out. Then the side room: only the phone moves.
  circles.seated({ ...page('ana'), page: false, call: true });
  circles.moved({ id: 'ana', staff: false }, 'side-1');
  expect(said()).toEqual(['ana out group', 'ana/phone offer side-1']);
  // The call hangs up with the seat: out of both circles.
  circles.left('ana');
  expect(said()).toEqual(['ana/phone out group', 'ana/phone out side-1']);
});
