import { CircleDelivery, type KeyDeliveryPort } from '../e2ee/key-delivery.js';
import { callMemberId, GROUP_CIRCLE, memberSeat } from '../protocol/e2ee.js';
import { isModerator } from '../protocol/roles.js';
import type { Participant, ParticipantChannel } from './participant.js';
import { CircleError } from '../protocol/errors.js';

/** An admitted seat as the circles know it: who, whether staff (asked to commit first), where, and its members. */
export interface CircleSeat {
  id: string;
  staff: boolean;
  sideRoomId: string | null;
  /** Its page is in and can encrypt: a member under the seat's own id. */
  page: boolean;
  /** A call carries its voice and the session lets calls in: the bridge is a member of its own for the seat. */
  call: boolean;
}

/** One of an encrypted session's circles, by the name a member's request gives. */
export function circleNamed(circles: RoomCircles | undefined, name: string): CircleDelivery {
  if (!circles) throw new CircleError('BAD_REQUEST', 'end-to-end encryption is off in this session');
  const circle = circles.circle(name);
  if (!circle) throw new CircleError('NOT_FOUND', 'no such circle');
  return circle;
}

/**
 * What the circles know of an admitted seat: its page is a member if it can encrypt, and the bridge is one while a
 * call carries the seat's voice (a call gets in only where the session allows it).
 */
export function circleSeatOf(participant: Participant): CircleSeat {
  const { connectionChannel: connection } = participant;
  return {
    id: participant.id,
    staff: isModerator(participant.role),
    sideRoomId: participant.sideRoomId,
    page: !connection.isCall && connection.canEncrypt === true,
    call: participant.voiceOnCall,
  };
}

/** Where a member of the circles is told: the seat's page, or, for the seat's call member, the call carrying its voice. */
export function memberChannel(memberId: string, seatOf: (participantId: string) => Participant | undefined): ParticipantChannel | undefined {
  const { participantId, call } = memberSeat(memberId);
  const seat = seatOf(participantId);
  if (!seat) return undefined;
  if (!call) return seat.connectionChannel.isCall ? undefined : seat.connectionChannel;
  return seat.connectionChannel.isCall ? seat.connectionChannel : seat.callLeg?.confirmed ? seat.callLeg.channel : undefined;
}

/** A seat's members in the circles now, and the side room they are in. */
interface Seated {
  members: string[];
  sideRoomId: string | null;
}

/**
 * The circles of keys in an encrypted session: the whole group's, which every admitted member is in, and one for each
 * side room, which only those in that side room are in. A seat has up to two members: its page, and the bridge while
 * a call carries its voice (shown to everyone as that person's call). Someone in a side room stays in the group's
 * circle (they come back to it) but speaks in the side room's: the group outside, holding every packet and its own
 * keys, cannot open what is said inside. A side room's circle lives while anyone is in it.
 */
export class RoomCircles {
  private readonly group: CircleDelivery;
  private readonly sideRooms = new Map<string, CircleDelivery>();
  private readonly seats = new Map<string, Seated>();

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

  /**
   * An admitted seat as it is now (admitted, or its page or call came or went): each member it has is asked into the
   * group's circle and its side room's, and a member it no longer has is taken out of both.
   */
  seated(seat: CircleSeat): void {
    const members = [...(seat.page ? [seat.id] : []), ...(seat.call ? [callMemberId(seat.id)] : [])];
    const before = this.seats.get(seat.id);
    for (const gone of before?.members.filter((id) => !members.includes(id)) ?? []) this.leave(gone, before!.sideRoomId);
    for (const member of members) {
      if (before?.members.includes(member)) continue;
      // The bridge never commits for the staff: a page of theirs does.
      const staff = seat.staff && member === seat.id;
      this.group.want(member, { staff });
      if (seat.sideRoomId !== null) this.sideRoom(seat.sideRoomId).want(member, { staff });
    }
    this.seats.set(seat.id, { members, sideRoomId: seat.sideRoomId });
  }

  /**
   * The seat moves to the side room `to` (or the group). Told before the media moves, so its members stop sealing
   * with the keys of where it was before anyone new can receive them.
   */
  moved(seat: Pick<CircleSeat, 'id' | 'staff'>, to: string | null): void {
    const seated = this.seats.get(seat.id);
    if (!seated || seated.sideRoomId === to) return;
    for (const member of seated.members) {
      if (seated.sideRoomId !== null) this.leaveSideRoom(member, seated.sideRoomId);
      if (to !== null) this.sideRoom(to).want(member, { staff: seat.staff && member === seat.id });
    }
    seated.sideRoomId = to;
  }

  /** The seat left the session: its members are out of every circle they were in. */
  left(seatId: string): void {
    const seated = this.seats.get(seatId);
    if (!seated) return;
    this.seats.delete(seatId);
    for (const member of seated.members) this.leave(member, seated.sideRoomId);
  }

  close(): void {
    this.group.close();
    for (const circle of this.sideRooms.values()) circle.close();
    this.sideRooms.clear();
  }

  private leave(member: string, sideRoomId: string | null): void {
    this.group.unwant(member);
    if (sideRoomId !== null) this.leaveSideRoom(member, sideRoomId);
  }

  private sideRoom(sideRoomId: string): CircleDelivery {
    let circle = this.sideRooms.get(sideRoomId);
    if (!circle) {
      circle = new CircleDelivery(sideRoomId, this.port);
      this.sideRooms.set(sideRoomId, circle);
    }
    return circle;
  }

  private leaveSideRoom(member: string, sideRoomId: string): void {
    const circle = this.sideRooms.get(sideRoomId);
    if (!circle) return;
    circle.unwant(member);
    if (circle.isDeserted) {
      circle.close();
      this.sideRooms.delete(sideRoomId);
    }
  }
}
