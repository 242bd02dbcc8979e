import { CircleDelivery, type KeyDeliveryPort } from '../e2ee/key-delivery.js';
import { GROUP_CIRCLE } from '../protocol/e2ee.js';

/** A seat as the circles know it: who, whether staff (asked to commit first), and where they are. */
export interface CircleSeat {
  id: string;
  staff: boolean;
  sideRoomId: string | null;
}

/**
 * The circles of keys in an encrypted session: the whole group's, which every admitted member who can encrypt is in,
 * and one for each side room, which only those in that side room are in. Someone in a side room stays in the group's
 * circle (they come back to it) but speaks in the side room's: the group outside, holding every packet and its own
 * keys, cannot open what is said inside. A side room's circle lives while anyone is in it.
 */
export class RoomCircles {
  private readonly group: CircleDelivery;
  private readonly sideRooms = new Map<string, CircleDelivery>();

  constructor(private readonly port: KeyDeliveryPort) {
    this.group = new CircleDelivery(GROUP_CIRCLE, port);
  }

  /** The circle named by a member's request, if it runs. */
  circle(name: string): CircleDelivery | undefined {
    return name === GROUP_CIRCLE ? this.group : this.sideRooms.get(name);
  }

  /** Who is in the group's circle by the commits ordered. */
  get groupMembers(): readonly string[] {
    return this.group.inCircle;
  }

  /** An admitted seat that can encrypt: in the group's circle, and in its side room's if it is in one. */
  admitted(seat: CircleSeat): void {
    this.group.want(seat.id, { staff: seat.staff });
    if (seat.sideRoomId !== null) this.sideRoom(seat.sideRoomId).want(seat.id, { staff: seat.staff });
  }

  /**
   * The seat moved from the side room `from` (or the group) to where it is now. Told before the media moves, so the
   * page stops sealing with the keys of where it was before anyone new can receive it.
   */
  moved(seat: CircleSeat, from: string | null): void {
    if (from === seat.sideRoomId) return;
    if (from !== null) this.leaveSideRoom(seat.id, from);
    if (seat.sideRoomId !== null) this.sideRoom(seat.sideRoomId).want(seat.id, { staff: seat.staff });
  }

  /** The seat left the session: out of every circle it was in. */
  left(seat: CircleSeat): void {
    this.group.unwant(seat.id);
    if (seat.sideRoomId !== null) this.leaveSideRoom(seat.id, seat.sideRoomId);
  }

  close(): void {
    this.group.close();
    for (const circle of this.sideRooms.values()) circle.close();
    this.sideRooms.clear();
  }

  private sideRoom(sideRoomId: string): CircleDelivery {
    let circle = this.sideRooms.get(sideRoomId);
    if (!circle) {
      circle = new CircleDelivery(sideRoomId, this.port);
      this.sideRooms.set(sideRoomId, circle);
    }
    return circle;
  }

  private leaveSideRoom(participantId: string, sideRoomId: string): void {
    const circle = this.sideRooms.get(sideRoomId);
    if (!circle) return;
    circle.unwant(participantId);
    if (circle.isDeserted) {
      circle.close();
      this.sideRooms.delete(sideRoomId);
    }
  }
}
