import type { Identity } from '../auth/tokens.js';
import type { FloorView, PeerInfo, SelfView, SessionEndReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { Participant, ParticipantChannel, ServerEventArgs, ServerEventName } from '../rooms/participant.js';
import type { Membership } from '../rooms/room-registry.js';
import { PhoneMedia } from './phone-media.js';
import type { PromptName } from './prompts.js';

/** What the phone bridge needs of the rooms: the registry's seat operations, nothing more. */
export interface SeatGateway {
  join(identity: Identity, channel: ParticipantChannel): Promise<Membership>;
  leave(membership: Membership): void;
  holdSeat(membership: Membership): void;
  /** Tells the staff of `roomId`, if it runs here, of wrong dial-in PINs for it; answers whether it runs here. */
  tellStaffOfWrongPins(roomId: string, wrongPins: number): boolean;
}

/** How the seat speaks to its caller. */
export interface CallerPort {
  say(prompt: PromptName): void;
  /** Says `prompt`, then hangs up. */
  farewell(prompt: PromptName): void;
}

const FAREWELLS: Partial<Record<SessionEndReason, PromptName>> = {
  ended: 'ended',
  removed: 'removed',
  denied: 'removed',
  'replaced-by-new-session': 'seatTaken',
  'taken-by-phone': 'seatTaken',
  'phone-declined': 'notConfirmed',
};

/** Seconds to wait before taking the seat again after the room closed under it (a worker died, a node drained). */
const REJOIN_DELAY_MS = 500;
const REJOIN_ATTEMPTS = 5;

/**
 * A caller in their seat: the room's channel to a telephone. It takes the seat as any connection does (the newest
 * connection takes it as it stands: role, hand, mute, floor, side room), hears what the room announces, and turns
 * what concerns the caller into short prompts: muted, asked to unmute, given the floor, moved to a side room.
 */
export class PhoneSeat implements ParticipantChannel {
  readonly isCall = true;
  /** The last two digits of the caller's number, if the trunk gave it: shown to the staff only, never kept. */
  readonly callerDigits: string | undefined;
  private membership: Membership | undefined;
  private media: PhoneMedia | undefined;
  private lastSelf: SelfView | undefined;
  private lastFloor: FloorView | undefined;
  private starPressed = false;
  private over = false;

  constructor(
    private readonly identity: Identity,
    private readonly seats: SeatGateway,
    private readonly caller: CallerPort,
    callerDigits?: string,
  ) {
    this.callerDigits = callerDigits;
  }

  /** Takes the seat; throws the room's refusal (`CircleError`). */
  async take(): Promise<void> {
    const membership = await this.seats.join(this.identity, this);
    this.membership = membership;
    this.lastSelf = membership.participant.selfView();
    this.lastFloor = membership.room.floor.view();
    if (!membership.participant.admitted) return this.caller.say('waiting');
    // The seat's browser is asked first: nothing is heard either way until it says yes (then 'admitted' comes).
    if (membership.participant.callLeg?.channel === this) return this.caller.say('confirmOnPage');
    await this.startMedia(membership.room.admittedView(membership.participant).peers);
    this.caller.say('joined');
  }

  send<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void {
    const [payload] = args as unknown[];
    switch (event) {
      case 'admitted':
        // Let in from the waiting room; or, as the leg carrying a browser's voice, said yes to ('voiceOnPhone' is said then).
        this.startMedia((payload as { peers: PeerInfo[] }).peers).then(
          () => this.membership?.participant.callLeg?.channel !== this && this.caller.say('admitted'),
          () => this.caller.farewell('unavailable'),
        );
        return;
      case 'peerJoined':
      case 'peerUpdated':
        return this.hearPeer(payload as PeerInfo);
      case 'producerAdded': {
        const { producer } = payload as { producer: { producerId: string; kind: string } };
        if (producer.kind === 'audio') this.media?.hear(producer.producerId);
        return;
      }
      case 'selfUpdated':
        return this.selfChanged(payload as SelfView);
      case 'unmuteRequested':
        if ((payload as { kind: string }).kind === 'audio') this.caller.say('askedToUnmute');
        return;
      case 'floorUpdated':
        return this.floorChanged(payload as FloorView);
      default:
    }
  }

  /** The room closed under the seat (a worker died, the node drains): the seat is held; take it again. */
  detach(): void {
    this.media?.close();
    this.media = undefined;
    this.membership = undefined;
    void this.rejoin(REJOIN_ATTEMPTS);
  }

  end(reason: SessionEndReason): void {
    this.over = true;
    this.close();
    this.caller.farewell(FAREWELLS[reason] ?? 'unavailable');
  }

  /** A key in the room: `*6` mutes or unmutes, `*9` raises or lowers the hand. */
  key(key: string): void {
    const afterStar = this.starPressed;
    this.starPressed = key === '*';
    if (!afterStar) return;
    if (key === '6') void this.toggleMute();
    if (key === '9') this.toggleHand();
  }

  uplink(samples: Int16Array): void {
    this.media?.send(samples);
  }

  /** Adds frame number `frame` of what the caller hears onto `mix`. */
  mixInto(mix: Int32Array, frame: number): void {
    this.media?.mixInto(mix, frame);
  }

  /** The caller hung up: the seat is given up, as a browser's leave. */
  leave(): void {
    this.letGo((membership) => this.seats.leave(membership));
  }

  /** The caller vanished (no RTP): the seat is held for the resume grace, as for a dropped browser. */
  hold(): void {
    this.letGo((membership) => this.seats.holdSeat(membership));
  }

  close(): void {
    this.over = true;
    this.media?.close();
    this.media = undefined;
  }

  /**
   * The call ends its part in the seat: `alone` when it holds the seat as its one connection; a call that only
   * carried the voice of a seat whose browser is in hands the voice back to the browser instead.
   */
  private letGo(alone: (membership: Membership) => void): void {
    const membership = this.membership;
    const seat = this.seat();
    if (membership && seat?.callLeg?.channel === this) membership.room.callLegs.hungUp(seat, this);
    else if (membership) alone(membership);
    this.close();
  }

  /** The seat this call belongs to now: as its one connection, or as the leg carrying its voice. */
  private seat(): Participant | undefined {
    const participant = this.membership?.room.participant(this.identity.participantId);
    if (participant?.connectionChannel === this || participant?.callLeg?.channel === this) return participant;
    return undefined;
  }

  private async startMedia(peers: PeerInfo[]): Promise<void> {
    const membership = this.membership;
    if (!membership || this.media) return;
    const media = new PhoneMedia(membership.room, () => this.seat());
    this.media = media;
    await media.start();
    for (const peer of peers) this.hearPeer(peer);
  }

  private hearPeer(peer: PeerInfo): void {
    if (peer.away || !this.media) return;
    for (const producer of peer.producers) if (producer.kind === 'audio') this.media.hear(producer.producerId);
  }

  private selfChanged(self: SelfView): void {
    const before = this.lastSelf;
    this.lastSelf = self;
    if (!before) return;
    if (self.locks.audio && !before.locks.audio) this.caller.say('muted');
    if (self.voiceOnPhone && !before.voiceOnPhone) this.caller.say('voiceOnPhone');
    if (self.sideRoomId !== before.sideRoomId) this.caller.say(self.sideRoomId ? 'sideRoom' : 'backToGroup');
  }

  private floorChanged(floor: FloorView): void {
    const me = this.identity.participantId;
    const before = this.lastFloor;
    this.lastFloor = floor;
    if (floor.holder === me && before?.holder !== me) this.caller.say('floorGiven');
    else if (before?.holder === me && floor.holder !== me) this.caller.say('floorEnded');
  }

  private async toggleMute(): Promise<void> {
    const producerId = this.media?.producerId;
    const participant = this.seat();
    if (!this.membership || !participant || !producerId) return;
    const unmuting = !participant.wants.audio;
    try {
      await this.membership.room.media.setProducerPaused(participant, producerId, !unmuting);
      this.caller.say(unmuting ? 'unmuted' : 'mutedSelf');
    } catch (error) {
      if (error instanceof CircleError && error.code === 'FORBIDDEN') this.caller.say('stillMuted');
    }
  }

  private toggleHand(): void {
    const participant = this.seat();
    if (!this.membership || !participant) return;
    const { room } = this.membership;
    try {
      if (room.floor.position(participant.id) > 0) {
        room.turns.lowerHand(participant);
        this.caller.say('handLowered');
      } else {
        room.turns.raiseHand(participant);
        this.caller.say('handRaised');
      }
    } catch {
      // Refused (in a side room, say): the hand stays as it was.
    }
  }

  private async rejoin(attemptsLeft: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, REJOIN_DELAY_MS));
    if (this.over) return;
    try {
      await this.take();
    } catch {
      if (attemptsLeft > 1) return this.rejoin(attemptsLeft - 1);
      this.close();
      this.caller.farewell('unavailable');
    }
  }
}
