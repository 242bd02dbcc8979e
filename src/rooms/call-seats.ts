import type { types } from 'mediasoup';
import type { Identity } from '../auth/tokens.js';
import { callMemberId } from '../protocol/e2ee.js';
import { circleNamed } from './room-circles.js';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { ConsumerInfo, FloorView, MediaSource, PeerInfo } from '../protocol/events.js';
import type { Participant, ParticipantChannel } from './participant.js';
import type { Membership, RoomRegistry } from './room-registry.js';

/** Someone left a space: these participants' voices are no longer any other space's to take. */
export type PartedListener = (participants: Participant[]) => void;

/**
 * Seats as a call reaches them: everything a connection that carries only a voice (a call through a bridge) may do
 * in its seat, on the membership the registry gave it, under the same rules as a page's requests. A bridge knows the
 * rooms by this and nothing else: not the room's collaborators, not how its rules are split.
 */
export class CallSeats {
  constructor(private readonly registry: RoomRegistry) {}

  join(identity: Identity, channel: ParticipantChannel): Promise<Membership> {
    return this.registry.join(identity, channel);
  }

  /** The call hung up: a call holding the seat alone leaves it; a call leg gives the voice back to the page. */
  hangUp(membership: Membership, channel: ParticipantChannel): void {
    this.letGo(membership, channel, () => this.registry.leave(membership));
  }

  /** The call went dead: a call holding the seat alone has it held for the grace; a call leg gives the voice back. */
  lose(membership: Membership, channel: ParticipantChannel): void {
    this.letGo(membership, channel, () => this.registry.holdSeat(membership));
  }

  /** Tells the staff of `roomId`, if it runs here, of wrong dial-in PINs for it; answers whether it runs here. */
  tellStaffOfWrongPins(roomId: string, wrongPins: number): boolean {
    return this.registry.tellStaffOfWrongPins(roomId, wrongPins);
  }

  /** The seat `channel` belongs to now: as its one connection, or as the leg carrying its voice. */
  seatOf({ room, participant }: Membership, channel: ParticipantChannel): Participant | undefined {
    const seat = room.participant(participant.id);
    if (seat?.connectionChannel === channel || seat?.callLeg?.channel === channel) return seat;
    return undefined;
  }

  floor({ room }: Membership): FloorView {
    return room.floor.view();
  }

  /** Whom an admitted seat hears, with their producers. */
  peers({ room }: Membership, seat: Participant): PeerInfo[] {
    return room.admittedView(seat).peers;
  }

  /** The seat's own wish (`*6`): refused with FORBIDDEN while a facilitator's lock holds the microphone. */
  setMicrophone({ room }: Membership, seat: Participant, producerId: string, on: boolean): Promise<void> {
    return room.media.setProducerPaused(seat, producerId, !on);
  }

  /** Raises the hand, or lowers it if raised (`*9`): answers which. */
  toggleHand({ room }: Membership, seat: Participant): 'raised' | 'lowered' {
    if (room.floor.position(seat.id) > 0) {
      room.turns.lowerHand(seat);
      return 'lowered';
    }
    room.turns.raiseHand(seat);
    return 'raised';
  }

  /** The call's send transport and its voice's producer, under the rules of a page's. Answers the producer. */
  async sendVoice(
    { room }: Membership,
    seat: Participant,
    rtpParameters: types.RtpParameters,
    source: MediaSource,
  ): Promise<types.Producer | undefined> {
    const transportId = await room.media.createCallTransport(seat);
    const producerId = await room.media.produce(seat, { transportId, kind: 'audio', source, rtpParameters });
    return seat.callMedia?.producers.get(producerId);
  }

  /** A receiver at the SFU on the room's router, to take a space's voices once for every call in it. */
  openReceiver({ room }: Membership): ParticipantMedia {
    return room.createReceiver();
  }

  /** `receiver` (of `space`) takes `producerId` for `seat`, if the seat may hear its owner. */
  listenFor({ room }: Membership, receiver: ParticipantMedia, seat: Participant, space: string | null, producerId: string): Promise<ConsumerInfo> {
    return room.media.listenFor(receiver, seat, space, producerId);
  }

  /** Calls `listener` whenever people leave a space in this room, before anyone is told; answers how to stop. */
  onParted({ room }: Membership, listener: PartedListener): () => void {
    room.observer.on('parted', listener);
    return () => room.observer.off('parted', listener);
  }

  /**
   * The session's end-to-end encryption as a call takes part in it: `off`; `sealed`, the bridge a member of the
   * circles for the seat; or `clear` for now (a `preferred` session with a browser in that cannot encrypt).
   */
  encryption({ room }: Membership): 'off' | 'sealed' | 'clear' {
    if (!room.circles) return 'off';
    return room.roomView().unencrypted.length > 0 ? 'clear' : 'sealed';
  }

  /** A key package from the bridge for the seat's call, checked as a page's is against the seat, its credential marked as a call's. */
  offerKeys({ room }: Membership, seat: Participant, circle: string, keyPackage: string): void {
    const identity = { participantId: callMemberId(seat.id), role: seat.role, displayName: seat.identity.displayName, phone: true as const };
    circleNamed(room.circles, circle).offer(identity, keyPackage);
  }

  /** The bridge's commit for the seat's call, when the circle asked it for one. */
  commitKeys({ room }: Membership, seat: Participant, circle: string, epoch: number, commit: string, welcome: string | undefined): void {
    circleNamed(room.circles, circle).commit(callMemberId(seat.id), epoch, commit, welcome);
  }

  /** A call leg gives the voice back to its page; a call holding the seat alone does what `alone` says. */
  private letGo(membership: Membership, channel: ParticipantChannel, alone: () => void): void {
    const seat = this.seatOf(membership, channel);
    if (seat?.callLeg?.channel === channel) membership.room.callLegs.hungUp(seat, channel);
    else alone();
  }

  /** The room the membership is in, as a key for what a bridge keeps per room (a room reopened is another). */
  roomKey({ room }: Membership): object {
    return room;
  }
}
