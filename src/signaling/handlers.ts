import type { types } from 'mediasoup';
import type { TokenService } from '../auth/tokens.js';
import type { AddressLimits } from '../limits/address-limits.js';
import type { Identity } from '../auth/tokens.js';
import type { CheckInAnswers } from '../protocol/check-in.js';
import type { DialIn, IceServer, JoinResult, Readiness, RequestResults } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { RequestName, RequestPayload } from '../protocol/schemas.js';
import type { Moderation } from '../rooms/moderation.js';
import type { Participant } from '../rooms/participant.js';
import type { Membership, RoomRegistry } from '../rooms/room-registry.js';
import type { Room } from '../rooms/room.js';
import type { ClientSession } from './client-session.js';
import type { LinkReport } from '../rooms/room-quality.js';
import type { ConnectionChecks } from '../check/connection-checks.js';
import type { BreakMinutes } from '../rooms/break-clock.js';
import { circleNamed } from '../rooms/room-circles.js';

export interface HandlerDeps {
  tokens: TokenService;
  registry: RoomRegistry;
  addresses: AddressLimits;
  /** The seat's dial-in PIN and number, when the phone bridge runs. */
  dialIn?: (identity: Identity) => Promise<DialIn | undefined>;
  /** Fresh TURN relay credentials, when the node offers a relay (`ttlSeconds`: shorter than the configured lifetime). */
  iceServers?: (ttlSeconds?: number) => IceServer[];
  checks: ConnectionChecks;
  /** The clinic's dial-in number, for a check whose verdict is the phone; empty when there is none. */
  dialInNumber: string;
}

type Handler<K extends RequestName> = (
  payload: RequestPayload<K>,
  session: ClientSession,
  deps: HandlerDeps,
) => Promise<RequestResults[K]>;

const done = {} as Record<string, never>;

/** A request from someone in a room: the room and the actor, for the domain to authorise and carry out. */
function inRoom<P, T>(act: (room: Room, actor: Participant, payload: P) => T | Promise<T>) {
  return async (payload: P, session: ClientSession) => {
    const { room, participant } = session.requireMembership();
    return act(room, participant, payload);
  };
}

/** A moderation request aimed at one participant. */
function onTarget(act: (moderation: Moderation, actor: Participant, targetId: string) => unknown) {
  return inRoom(async (room, actor, { participantId }: { participantId: string }) => {
    await act(room.moderation, actor, participantId);
    return done;
  });
}

/**
 * Attaches the connection to its room and answers as `join` does, with a fresh resume token, the dial-in and fresh
 * relay credentials.
 */
async function attachSession(session: ClientSession, { registry, dialIn, iceServers }: HandlerDeps, membership: Membership): Promise<JoinResult> {
  // Before attaching: a store that cannot issue a PIN now must not leave a seat half joined. An end-to-end
  // encrypted session that takes no calls offers no PIN.
  const { e2eeMode, e2eeDialIn } = membership.room;
  const phone = e2eeMode === 'off' || e2eeDialIn === 'allowed' ? await dialIn?.(membership.participant.identity) : undefined;
  if (!session.connected) {
    registry.leave(membership);
    throw new CircleError('NOT_JOINED', 'the connection closed while joining');
  }
  session.attach(membership);
  const result = membership.room.joinResult(membership.participant, registry.issueResumeToken(membership));
  return { ...result, ...(phone ? { dialIn: phone } : {}), ...(iceServers ? { iceServers: iceServers() } : {}) };
}

/** Each handler: payload already parsed; it calls the domain, which enforces the rules, and answers. */
export const handlers: { [K in RequestName]: Handler<K> } = {
  join: ({ token, e2ee, videoViews }, session, deps) =>
    session.joinOnce(async () => {
      deps.addresses.spendJoin(session.address);
      const identity = await deps.tokens.verify(token);
      session.canEncrypt = e2ee === true;
      return attachSession(session, deps, await deps.registry.join(identity, session, { declaresViews: videoViews === true }));
    }),

  resume: ({ resumeToken, e2ee, videoViews }, session, deps) =>
    session.joinOnce(async () => {
      deps.addresses.spendJoin(session.address);
      // A resume from a client that does not say keeps the seat as it joined: only a page can have joined it.
      session.canEncrypt = e2ee !== false;
      return attachSession(session, deps, await deps.registry.resume(resumeToken, session, { declaresViews: videoViews === true }));
    }),

  async startCheck(_payload, session, { checks, iceServers, dialInNumber }) {
    const { opened } = await session.replaceCheck(() => checks.start(session.checkLimitKey));
    // A check needs the relay for its own minute or two, not a session's hours: credentials copied out of it are soon worthless.
    return { ...opened, ...(iceServers ? { iceServers: iceServers(checks.credentialSeconds) } : {}), dialInNumber };
  },

  async checkConnect({ transportId, dtlsParameters }, session) {
    await session.requireCheck().media.connectTransport(transportId, dtlsParameters as types.DtlsParameters);
    return done;
  },

  async checkProduce({ transportId, kind, rtpParameters, source }, session) {
    const producer = await session.requireCheck().media.produce(transportId, kind, rtpParameters as types.RtpParameters, source);
    return { producerId: producer.producerId };
  },

  checkEcho: ({ producerId, rtpCapabilities }, session) => session.requireCheck().echo(producerId, rtpCapabilities as types.RtpCapabilities),

  async stopCheck(_payload, session) {
    session.check?.close();
    return done;
  },

  async setRtpCapabilities({ rtpCapabilities }, session) {
    session.requireMembership().participant.media.setRtpCapabilities(rtpCapabilities as types.RtpCapabilities);
    return done;
  },

  async createTransport({ direction }, session) {
    const { room, participant } = session.requireMembership();
    return room.media.createTransport(participant, direction);
  },

  async connectTransport({ transportId, dtlsParameters }, session) {
    const { room, participant } = session.requireMembership();
    await room.media.connectTransport(participant, transportId, dtlsParameters as types.DtlsParameters);
    return done;
  },

  async restartIce({ transportId }, session) {
    const { room, participant } = session.requireMembership();
    return { iceParameters: await room.media.restartIce(participant, transportId) };
  },

  async produce({ transportId, kind, rtpParameters, source, videoSize }, session) {
    const { room, participant } = session.requireMembership();
    const rtp = rtpParameters as types.RtpParameters;
    return { producerId: await room.media.produce(participant, { transportId, kind, rtpParameters: rtp, source, videoSize }) };
  },

  async pauseProducer({ producerId }, session) {
    const { room, participant } = session.requireMembership();
    await room.media.setProducerPaused(participant, producerId, true);
    return done;
  },

  async resumeProducer({ producerId }, session) {
    const { room, participant } = session.requireMembership();
    await room.media.setProducerPaused(participant, producerId, false);
    return done;
  },

  async closeProducer({ producerId }, session) {
    const { room, participant } = session.requireMembership();
    room.media.closeProducer(participant, producerId);
    return done;
  },

  async consume({ producerId }, session) {
    const { room, participant } = session.requireMembership();
    return room.media.consume(participant, producerId);
  },

  async resumeConsumer({ consumerId }, session) {
    await session.requireMembership().participant.media.resumeConsumer(consumerId);
    return done;
  },

  async setVideoViews({ views }, session) {
    const { room, participant } = session.requireMembership();
    await room.media.setVideoViews(participant, views);
    return done;
  },

  async leave(_payload, session, { registry }) {
    registry.leave(session.requireMembership());
    session.detach();
    return done;
  },

  admit: onTarget((m, actor, target) => m.admit(actor, target)),
  admitAll: inRoom((room, actor) => ({ admitted: room.moderation.admitAll(actor) })),
  deny: onTarget((m, actor, target) => m.deny(actor, target)),
  denyAll: inRoom((room, actor) => ({ denied: room.moderation.denyAll(actor) })),
  mute: onTarget((m, actor, target) => m.mute(actor, target)),
  muteAllClients: inRoom(async (room, actor) => ({ muted: await room.moderation.muteAllClients(actor) })),
  askToUnmute: onTarget((m, actor, target) => m.askToUnmute(actor, target)),
  stopVideo: onTarget((m, actor, target) => m.stopVideo(actor, target)),
  askToStartVideo: onTarget((m, actor, target) => m.askToStartVideo(actor, target)),
  remove: onTarget((m, actor, target) => m.remove(actor, target)),
  promote: onTarget((m, actor, target) => m.promote(actor, target)),
  demote: onTarget((m, actor, target) => m.demote(actor, target)),
  handOver: onTarget((m, actor, target) => m.handOver(actor, target)),
  spotlight: inRoom((room, actor, { participantId }: { participantId: string | null }) => {
    room.moderation.spotlight(actor, participantId);
    return done;
  }),
  sendMessage: inRoom((room, actor, { to, text }) => room.messaging.send(actor, to, text)),
  setGroupMessages: inRoom((room, actor, { enabled }) => (room.messaging.setGroupMessages(actor, enabled), done)),
  removeMessage: inRoom((room, actor, { messageId }) => (room.messaging.remove(actor, messageId), done)),
  setPhoneEntry: inRoom((room, actor, { intoHeldSeats }) => (room.moderation.setCallEntry(actor, intoHeldSeats), done)),
  setFocus: inRoom((room, actor, { on }) => (room.moderation.setFocus(actor, on), done)),
  checkIn: inRoom((room, actor, answers: CheckInAnswers) => (room.checkIns.answer(actor, answers), done)),
  setCheckIn: inRoom((room, actor, { ask }) => (room.moderation.setCheckIn(actor, ask), done)),
  startBreak: inRoom(async (room, actor, { minutes }: { minutes: BreakMinutes }) => ({ endsAt: (await room.moderation.startBreak(actor, minutes)).toISOString() })),
  endBreak: inRoom(async (room, actor) => (await room.moderation.endBreak(actor), done)),
  answerPhoneJoin: inRoom((room, actor, { accept }) => (room.answerCallJoin(actor, accept), done)),
  openSideRoom: inRoom(async (room, actor, { participantIds }: { participantIds: string[] }) => ({
    sideRoomId: await room.sideRooms.open(actor, participantIds),
  })),
  closeSideRoom: inRoom(async (room, actor, { sideRoomId }: { sideRoomId: string }) => (await room.sideRooms.close(actor, sideRoomId), done)),
  moveToSideRoom: inRoom(async (room, actor, p: { participantId: string; sideRoomId: string }) => {
    await room.sideRooms.moveTo(actor, p.participantId, p.sideRoomId);
    return done;
  }),
  returnToGroup: inRoom(async (room, actor, { participantId }: { participantId: string }) => {
    await room.sideRooms.returnToGroup(actor, participantId);
    return done;
  }),
  e2eeOffer: inRoom((room, actor, { circle, keyPackage }: { circle: string; keyPackage: string }) => {
    // The credential must say what the server knows of the seat now: its role as promoted or demoted since the token.
    circleNamed(room.circles, circle).offer({ participantId: actor.id, role: actor.role, displayName: actor.identity.displayName }, keyPackage);
    return done;
  }),
  e2eeCommit: inRoom((room, actor, p: { circle: string; epoch: number; commit: string; welcome?: string }) =>
    circleNamed(room.circles, p.circle).commit(actor.id, p.epoch, p.commit, p.welcome),
  ),
  lock: inRoom((room, actor) => (room.moderation.setLocked(actor, true), done)),
  unlock: inRoom((room, actor) => (room.moderation.setLocked(actor, false), done)),
  end: inRoom((room, actor) => (room.moderation.end(actor), done)),
  getAuditLog: inRoom((room, actor) => room.moderation.auditLog(actor)),

  raiseHand: inRoom((room, actor) => ({ position: room.turns.raiseHand(actor) })),
  lowerHand: inRoom((room, actor) => (room.turns.lowerHand(actor), done)),
  grantFloor: inRoom(async (room, actor, { participantId }: { participantId: string | null }) => ({
    holder: await room.turns.grant(actor, participantId),
  })),
  takeBackFloor: inRoom(async (room, actor) => (await room.turns.takeBack(actor), done)),
  moveInQueue: inRoom((room, actor, p: { participantId: string; position: number }) => (room.turns.move(actor, p.participantId, p.position), done)),
  removeFromQueue: inRoom((room, actor, { participantId }: { participantId: string }) => (room.turns.removeFromQueue(actor, participantId), done)),
  clearQueue: inRoom((room, actor) => (room.turns.clear(actor), done)),
  setFloorMode: inRoom(async (room, actor, { mode }: { mode: 'open' | 'queue' }) => (await room.turns.setMode(actor, mode), done)),
  setTurnLimit: inRoom((room, actor, { seconds }: { seconds: number | null }) => (room.turns.setTurnLimit(actor, seconds), done)),
  extendTurn: inRoom((room, actor, { seconds }: { seconds: number }) => (room.turns.extend(actor, seconds), done)),

  setAudioOnly: inRoom(async (room, actor, { enabled }: { enabled: boolean }) => (await room.quality.setManual(actor, enabled), done)),
  reportStats: inRoom((room, actor, report: LinkReport) => (room.quality.recordReport(actor, report), done)),
  reportReadiness: inRoom((room, actor, readiness: Readiness) => (room.quality.recordReadiness(actor, readiness), done)),
  suggestAudioOnly: onTarget((m, actor, target) => m.suggestAudioOnly(actor, target)),

  createBotTransport: inRoom((room, actor, { direction }: { direction: 'send' | 'recv' }) => room.media.createBotTransport(actor, direction)),
  connectBotTransport: inRoom(async (room, actor, request: { transportId: string; ip: string; port: number; srtpKeyBase64: string }) => {
    await room.media.connectBotTransport(actor, request);
    return done;
  }),
};
