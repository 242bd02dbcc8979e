// A fake room behind the rules' ports, for unit tests that run in milliseconds without a mediasoup worker. The
// floor and the record are the real ones; the fake records what the rules asked the room to do.
import type { ParticipantMedia } from '../../src/media/participant-media.js';
import type { MediaKind, SessionEndReason } from '../../src/protocol/events.js';
import type { ModerationAction } from '../../src/protocol/moderation-actions.js';
import type { Role } from '../../src/protocol/roles.js';
import { LinkQuality } from '../../src/quality/link-quality.js';
import { Floor } from '../../src/rooms/floor.js';
import { Participant, type ParticipantChannel } from '../../src/rooms/participant.js';
import { RoomRecord } from '../../src/rooms/room-record.js';
import { ADMINISTRATOR, type ModerationPort, type SideRoomPort, type TurnTakingPort } from '../../src/rooms/room-port.js';
import config from '../../config/default.json' with { type: 'json' };
import { BreakClock } from '../../src/rooms/break-clock.js';

export interface Sent {
  to: string;
  event: string;
  args: unknown[];
}

export class FakeRoom implements ModerationPort, TurnTakingPort, SideRoomPort {
  readonly record = new RoomRecord('fake-room');
  readonly floor = new Floor(this.record.floor, 15_000);
  readonly breaks = new BreakClock(this.record, async (onBreak) => void this.calls.push(onBreak ? 'break' : 'break over'), () => undefined);
  isOnHold = false;
  readonly people = new Map<string, Participant>();
  /** What the rules asked of the room, in order, as short strings. */
  readonly calls: string[] = [];
  readonly sent: Sent[] = [];
  readonly auditCounted: ModerationAction[] = [];

  /** Adds someone (admitted unless `waiting`); the session counts as started once anyone is added. */
  add(id: string, role: Role, { waiting = false } = {}): Participant {
    const channel: ParticipantChannel = {
      send: (event, ...args) => void this.sent.push({ to: id, event, args }),
      detach: () => undefined,
      end: (reason) => void this.calls.push(`end-channel ${id} ${reason}`),
    };
    return this.seat(id, role, channel, waiting);
  }

  /** Adds a call holding `id`'s seat alone, admitted. */
  addCall(id: string, channel: ParticipantChannel): Participant {
    return this.seat(id, 'client', channel, false);
  }

  private seat(id: string, role: Role, channel: ParticipantChannel, waiting: boolean): Participant {
    const held: boolean[] = [];
    const media = { held, on: () => media, describeProducers: () => [], holdAudio: async (on: boolean) => void held.push(on) } as unknown as ParticipantMedia;
    const participant = new Participant({ participantId: id, roomId: 'fake-room', role, displayName: id }, media, channel, new LinkQuality(config.quality), this.record);
    if (!waiting) participant.admit();
    this.people.set(id, participant);
    this.record.start();
    return participant;
  }

  participant(participantId: string) {
    return this.people.get(participantId);
  }

  waiting() {
    return [...this.people.values()].filter((p) => !p.admitted);
  }

  admittedParticipants() {
    return [...this.people.values()].filter((p) => p.admitted);
  }

  audit(actor: Participant | typeof ADMINISTRATOR, action: ModerationAction, target?: Participant) {
    this.record.log(actor === ADMINISTRATOR ? actor : actor.id, action, target?.id);
    this.auditCounted.push(action);
  }

  admit(participant: Participant) {
    participant.admit();
    this.calls.push(`admit ${participant.id}`);
  }

  dismiss(participant: Participant, reason: SessionEndReason) {
    this.people.delete(participant.id);
    this.calls.push(`dismiss ${participant.id} ${reason}`);
  }

  async setRole(participant: Participant, role: Role) {
    participant.changeRole(role);
    this.calls.push(`role ${participant.id} ${role}`);
  }

  async lockMedia(participant: Participant, kind: MediaKind) {
    participant.lock(kind);
    this.calls.push(`lock ${participant.id} ${kind}`);
  }

  unlockMedia(participant: Participant, kind: MediaKind) {
    participant.unlock(kind);
    this.calls.push(`unlock ${participant.id} ${kind}`);
  }

  roomViewChanged() {
    this.calls.push('roomView');
  }

  focusChanged() {
    this.calls.push('focus');
  }

  end(actorId: string) {
    this.record.end(actorId);
    this.calls.push(`end ${actorId}`);
  }

  async applyFloorToAll() {
    this.calls.push(`floor applied (${this.floor.mode})`);
  }

  async relocate(participants: Participant[], sideRoomId: string | null) {
    for (const participant of participants) participant.moveTo(sideRoomId);
    this.calls.push(`relocate ${participants.map((p) => p.id).join(',')} → ${sideRoomId === null ? 'group' : 'side room'}`);
  }

  async floorSettled() {
    this.calls.push('floor settled');
  }
}
