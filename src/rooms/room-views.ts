import type { types } from 'mediasoup';
import type { ActiveSpeakers } from '../media/active-speakers.js';
import type { AdmittedView, JoinResult, RoomView } from '../protocol/events.js';
import { isModerator } from '../protocol/roles.js';
import type { Audience } from './audience.js';
import type { Floor } from './floor.js';
import type { Participant } from './participant.js';
import type { RoomRecord } from './room-record.js';
import type { TalkBalance } from './talk-balance.js';

/** What a participant is shown of the room: on joining, on admission, and whenever the room's own state changes. */
export class RoomViews {
  constructor(
    private readonly router: types.Router,
    private readonly audience: Audience,
    private readonly floor: Floor,
    private readonly speakers: ActiveSpeakers,
    private readonly record: RoomRecord,
    private readonly onHold: () => boolean,
    private readonly talk: TalkBalance,
    private readonly unencrypted: () => string[],
  ) {}

  room(): RoomView {
    return {
      locked: this.record.locked,
      phoneIntoHeldSeats: this.record.callsIntoHeldSeats,
      focus: this.record.focus,
      askCheckIn: this.record.askCheckIn,
      breakEndsAt: this.record.breakEndsAt === null ? null : new Date(this.record.breakEndsAt).toISOString(),
      groupMessages: this.record.groupMessages,
      onHold: this.onHold(),
      started: this.record.started,
      startedAt: this.record.startedAt?.toISOString() ?? null,
      spotlight: this.record.spotlight,
      unencrypted: this.unencrypted(),
    };
  }

  /** Everything an admitted participant starts from: peers as they may see them, the room, the lobby (staff), the floor. */
  admitted(participant: Participant): AdmittedView {
    return {
      routerRtpCapabilities: this.router.rtpCapabilities,
      peers: this.audience.visibleTo(participant).map((peer) => this.audience.describe(participant, peer)),
      room: this.room(),
      lobby: isModerator(participant.role) ? this.audience.lobbyEntries() : [],
      floor: this.floor.view(),
      activeSpeaker: this.speakers.speakerIn(participant.sideRoomId),
      talk: isModerator(participant.role) ? this.talk.staffView() : [],
    };
  }

  joinResult(participant: Participant, resumeToken: string): Omit<JoinResult, 'e2ee'> {
    return {
      resumeToken,
      participantId: participant.id,
      role: participant.role,
      displayName: participant.identity.displayName,
      self: participant.selfView(),
      askCheckIn: this.record.askCheckIn && participant.role === 'client' && !participant.channel.isCall,
      ...(participant.admitted ? { admitted: this.admitted(participant) } : {}),
    };
  }
}
