import type { Identity } from '../auth/tokens.js';
import type { FloorView, PeerInfo, RoomView, SelfView, SessionEndReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { Participant, ParticipantChannel, ServerEventArgs, ServerEventName } from '../rooms/participant.js';
import type { Membership } from '../rooms/room-registry.js';
import { PhoneMedia } from './phone-media.js';
import { CallKeys } from './call-keys.js';
import type { KeyDeliveryMessage } from '../protocol/e2ee.js';
import type { PromptName } from './prompts.js';
import type { CallVoices } from './room-voices.js';
import type { SeatGateway } from './seat-gateway.js';

/** What a call does with each room event it is told: typed by the event, and silent for the rest. */
type EventHandlers = { [E in ServerEventName]?: (...args: ServerEventArgs<E>) => void };

/** How the seat speaks to its caller. */
export interface CallerPort {
  say(prompt: PromptName): void;
  /** Says `prompt`, then hangs up. */
  farewell(prompt: PromptName): void;
  /** The bridge's part in an encrypted session's key agreement failed for this call (for the operators' log). */
  keysFailed(error: unknown): void;
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
  /** The bridge seals and opens the call's audio where an encrypted session lets calls in. */
  readonly canEncrypt = true;
  /** The last two digits of the caller's number, if the trunk gave it: shown to the staff only, never kept. */
  readonly callerDigits: string | undefined;
  private membership: Membership | undefined;
  private media: PhoneMedia | undefined;
  /** The bridge's member of the circles for this seat, in an encrypted session; what the circles said before it. */
  private keys: CallKeys | undefined;
  private early: KeyDeliveryMessage[] = [];
  private lastSelf: SelfView | undefined;
  private lastFloor: FloorView | undefined;
  /** Whether the group was on a break at the last room update: a caller hears it begin and end. */
  private onBreak = false;
  private starPressed = false;
  private over = false;

  constructor(
    private readonly identity: Identity,
    private readonly seats: SeatGateway,
    private readonly voices: CallVoices,
    private readonly caller: CallerPort,
    callerDigits?: string,
  ) {
    this.callerDigits = callerDigits;
  }

  /** Takes the seat; throws the room's refusal (`CircleError`). */
  async take(): Promise<void> {
    const membership = await this.seats.join(this.identity, this);
    this.membership = membership;
    this.keys = this.keysFor(membership);
    this.lastSelf = membership.participant.selfView();
    this.lastFloor = this.seats.floor(membership);
    if (!membership.participant.admitted) return this.caller.say('waiting');
    // The seat's page is asked first: nothing is heard either way until it says yes (then 'admitted' comes).
    if (membership.participant.callLeg?.channel === this) return this.caller.say('confirmOnPage');
    this.keys?.seated(membership.participant.sideRoomId);
    await this.startMedia(this.seats.peers(membership, membership.participant));
    this.caller.say('joined');
  }

  /** In an encrypted session, the bridge's member for this seat, told what the circles said while it joined. */
  private keysFor(membership: Membership): CallKeys | undefined {
    const encryption = this.seats.encryption(membership);
    const early = this.early.splice(0);
    if (encryption === 'off') return undefined;
    // The seat in this membership's room: a room that closed under the call (it rejoins another) takes nothing more.
    const seated = () => {
      const seat = this.seats.seatOf(membership, this);
      if (!seat) throw new CircleError('NOT_JOINED', 'the call no longer holds the seat');
      return seat;
    };
    const port = {
      offer: async (circle: string, keyPackage: string) => this.seats.offerKeys(membership, seated(), circle, keyPackage),
      commit: async (circle: string, epoch: number, commit: string, welcome: string | undefined) =>
        this.seats.commitKeys(membership, seated(), circle, epoch, commit, welcome),
    };
    const { participantId, role, displayName } = membership.participant.identity;
    const keys = new CallKeys({ participantId, role, displayName }, port, encryption === 'clear', (error) => this.caller.keysFailed(error));
    for (const message of early) keys.handle(message);
    return keys;
  }

  send<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void {
    const handle = this.handlers[event] as ((...args: ServerEventArgs<E>) => void) | undefined;
    handle?.(...args);
  }

  private readonly handlers: EventHandlers = {
    // Let in from the waiting room; or, as the leg carrying a page's voice, said yes to ('voiceOnPhone' is said then).
    admitted: ({ peers }) =>
      void this.startMedia(peers).then(
        () => this.membership?.participant.callLeg?.channel !== this && this.caller.say('admitted'),
        () => this.caller.farewell('unavailable'),
      ),
    peerJoined: (peer) => this.hearPeer(peer),
    peerUpdated: (peer) => this.hearPeer(peer),
    producerAdded: ({ producer }) => {
      if (producer.kind === 'audio') this.media?.hear(producer.producerId);
    },
    selfUpdated: (self) => this.selfChanged(self),
    unmuteRequested: ({ kind }) => {
      if (kind === 'audio') this.caller.say('askedToUnmute');
    },
    floorUpdated: (floor) => this.floorChanged(floor),
    roomUpdated: (room) => this.roomChanged(room),
    e2ee: (message) => (this.keys ? this.keys.handle(message) : this.early.push(message)),
  };

  /** The room closed under the seat (a worker died, the node drains): the seat is held; take it again. */
  detach(): void {
    this.media?.close();
    this.media = undefined;
    this.membership = undefined;
    this.keys = undefined;
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

  /** The caller hung up: the seat is given up, as a page's leave (a leg gives the voice back to its page). */
  leave(): void {
    if (this.membership) this.seats.hangUp(this.membership, this);
    this.close();
  }

  /** The caller vanished (no RTP): the seat is held for the resume grace, as for a dropped page. */
  hold(): void {
    if (this.membership) this.seats.lose(this.membership, this);
    this.close();
  }

  close(): void {
    this.over = true;
    this.media?.close();
    this.media = undefined;
  }

  /** The seat this call belongs to now: as its one connection, or as the leg carrying its voice. */
  private seat(): Participant | undefined {
    return this.membership && this.seats.seatOf(this.membership, this);
  }

  private async startMedia(peers: PeerInfo[]): Promise<void> {
    const membership = this.membership;
    if (!membership || this.media) return;
    const media = new PhoneMedia(this.seats, membership, this.voices, () => this.seat(), this.keys);
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

  private roomChanged(room: RoomView): void {
    if (this.keys) this.keys.inClear = room.unencrypted.length > 0;
    const onBreak = room.breakEndsAt !== null;
    if (onBreak !== this.onBreak) this.caller.say(onBreak ? 'breakStarted' : 'breakOver');
    this.onBreak = onBreak;
  }

  private async toggleMute(): Promise<void> {
    const producerId = this.media?.producerId;
    const participant = this.seat();
    if (!this.membership || !participant || !producerId) return;
    const unmuting = !participant.wants.audio;
    try {
      await this.seats.setMicrophone(this.membership, participant, producerId, unmuting);
      this.caller.say(unmuting ? 'unmuted' : 'mutedSelf');
    } catch (error) {
      if (error instanceof CircleError && error.code === 'FORBIDDEN') this.caller.say(this.onBreak ? 'breakStarted' : 'stillMuted');
    }
  }

  private toggleHand(): void {
    const participant = this.seat();
    if (!this.membership || !participant) return;
    try {
      this.caller.say(this.seats.toggleHand(this.membership, participant) === 'lowered' ? 'handLowered' : 'handRaised');
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
