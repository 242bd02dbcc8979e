import type { types } from 'mediasoup';
import type { TokenService } from '../auth/tokens.js';
import type { RequestResults } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { RequestName, RequestPayload } from '../protocol/schemas.js';
import type { Moderation } from '../rooms/moderation.js';
import type { Participant } from '../rooms/participant.js';
import type { RoomRegistry, Seat } from '../rooms/room-registry.js';
import type { Room } from '../rooms/room.js';
import type { ClientSession } from './client-session.js';

export interface HandlerDeps {
  tokens: TokenService;
  registry: RoomRegistry;
}

type Handler<K extends RequestName> = (
  payload: RequestPayload<K>,
  session: ClientSession,
  deps: HandlerDeps,
) => Promise<RequestResults[K]>;

const done = {} as Record<string, never>;

/** A request of a seated participant: the room and the actor, for the domain to authorise and carry out. */
function seated<P, T>(act: (room: Room, actor: Participant, payload: P) => T | Promise<T>) {
  return async (payload: P, session: ClientSession) => {
    const { room, participant } = session.requireSeat();
    return act(room, participant, payload);
  };
}

/** A moderation request aimed at one participant. */
function onTarget(act: (moderation: Moderation, actor: Participant, targetId: string) => unknown) {
  return seated(async (room, actor, { participantId }: { participantId: string }) => {
    await act(room.moderation, actor, participantId);
    return done;
  });
}

/** Gives the connection its seat and answers as `join` does, with a fresh resume token. */
function seatSession(session: ClientSession, registry: RoomRegistry, seat: Seat) {
  if (!session.connected) {
    registry.leave(seat);
    throw new CircleError('NOT_JOINED', 'the connection closed while joining');
  }
  session.seatIn(seat);
  return seat.room.joinResult(seat.participant, registry.issueResumeToken(seat));
}

/** Each handler: payload already parsed; it calls the domain, which enforces the rules, and answers. */
export const handlers: { [K in RequestName]: Handler<K> } = {
  async join({ token }, session, { tokens, registry }) {
    if (session.seat) throw new CircleError('ALREADY_JOINED', 'this connection already holds a seat');
    const identity = await tokens.verify(token);
    return seatSession(session, registry, await registry.join(identity, session));
  },

  async resume({ resumeToken }, session, { registry }) {
    if (session.seat) throw new CircleError('ALREADY_JOINED', 'this connection already holds a seat');
    return seatSession(session, registry, await registry.resume(resumeToken, session));
  },

  async setRtpCapabilities({ rtpCapabilities }, session) {
    session.requireSeat().participant.media.setRtpCapabilities(rtpCapabilities as types.RtpCapabilities);
    return done;
  },

  async createTransport({ direction }, session) {
    const { room, participant } = session.requireSeat();
    return room.createTransport(participant, direction);
  },

  async connectTransport({ transportId, dtlsParameters }, session) {
    const { room, participant } = session.requireSeat();
    await room.connectTransport(participant, transportId, dtlsParameters as types.DtlsParameters);
    return done;
  },

  async restartIce({ transportId }, session) {
    const { room, participant } = session.requireSeat();
    return { iceParameters: await room.restartIce(participant, transportId) };
  },

  async produce({ transportId, kind, rtpParameters, source }, session) {
    const { room, participant } = session.requireSeat();
    const rtp = rtpParameters as types.RtpParameters;
    return { producerId: await room.produce(participant, { transportId, kind, rtpParameters: rtp, source }) };
  },

  async pauseProducer({ producerId }, session) {
    const { room, participant } = session.requireSeat();
    await room.setProducerPaused(participant, producerId, true);
    return done;
  },

  async resumeProducer({ producerId }, session) {
    const { room, participant } = session.requireSeat();
    await room.setProducerPaused(participant, producerId, false);
    return done;
  },

  async closeProducer({ producerId }, session) {
    const { room, participant } = session.requireSeat();
    room.closeProducer(participant, producerId);
    return done;
  },

  async consume({ producerId }, session) {
    const { room, participant } = session.requireSeat();
    return room.consume(participant, producerId);
  },

  async resumeConsumer({ consumerId }, session) {
    await session.requireSeat().participant.media.resumeConsumer(consumerId);
    return done;
  },

  async leave(_payload, session, { registry }) {
    registry.leave(session.requireSeat());
    session.detach();
    return done;
  },

  admit: onTarget((m, actor, target) => m.admit(actor, target)),
  admitAll: seated((room, actor) => ({ admitted: room.moderation.admitAll(actor) })),
  deny: onTarget((m, actor, target) => m.deny(actor, target)),
  denyAll: seated((room, actor) => ({ denied: room.moderation.denyAll(actor) })),
  mute: onTarget((m, actor, target) => m.mute(actor, target)),
  muteAllClients: seated(async (room, actor) => ({ muted: await room.moderation.muteAllClients(actor) })),
  askToUnmute: onTarget((m, actor, target) => m.askToUnmute(actor, target)),
  stopVideo: onTarget((m, actor, target) => m.stopVideo(actor, target)),
  askToStartVideo: onTarget((m, actor, target) => m.askToStartVideo(actor, target)),
  remove: onTarget((m, actor, target) => m.remove(actor, target)),
  promote: onTarget((m, actor, target) => m.promote(actor, target)),
  demote: onTarget((m, actor, target) => m.demote(actor, target)),
  handOver: onTarget((m, actor, target) => m.handOver(actor, target)),
  spotlight: seated((room, actor, { participantId }: { participantId: string | null }) => {
    room.moderation.spotlight(actor, participantId);
    return done;
  }),
  lock: seated((room, actor) => (room.moderation.setLocked(actor, true), done)),
  unlock: seated((room, actor) => (room.moderation.setLocked(actor, false), done)),
  end: seated((room, actor) => (room.moderation.end(actor), done)),
  getAuditLog: seated((room, actor) => ({ entries: room.moderation.auditLog(actor) })),

  raiseHand: seated((room, actor) => ({ position: room.turns.raiseHand(actor) })),
  lowerHand: seated((room, actor) => (room.turns.lowerHand(actor), done)),
  grantFloor: seated(async (room, actor, { participantId }: { participantId: string | null }) => ({
    holder: await room.turns.grant(actor, participantId),
  })),
  takeBackFloor: seated(async (room, actor) => (await room.turns.takeBack(actor), done)),
  moveInQueue: seated((room, actor, p: { participantId: string; position: number }) => (room.turns.move(actor, p.participantId, p.position), done)),
  removeFromQueue: seated((room, actor, { participantId }: { participantId: string }) => (room.turns.removeFromQueue(actor, participantId), done)),
  clearQueue: seated((room, actor) => (room.turns.clear(actor), done)),
  setFloorMode: seated(async (room, actor, { mode }: { mode: 'open' | 'queue' }) => (await room.turns.setMode(actor, mode), done)),
  setTurnLimit: seated((room, actor, { seconds }: { seconds: number | null }) => (room.turns.setTurnLimit(actor, seconds), done)),
  extendTurn: seated((room, actor, { seconds }: { seconds: number }) => (room.turns.extend(actor, seconds), done)),

  setAudioOnly: seated(async (room, actor, { enabled }: { enabled: boolean }) => (await room.quality.setManual(actor, enabled), done)),
  reportStats: seated((room, actor, report: { uplinkBitrateBps?: number; roundTripTimeMs?: number; downlinkLoss?: number }) => (room.quality.recordReport(actor, report), done)),
  suggestAudioOnly: onTarget((m, actor, target) => m.suggestAudioOnly(actor, target)),

  createBotTransport: seated((room, actor, { direction }: { direction: 'send' | 'recv' }) => room.createBotTransport(actor, direction)),
  connectBotTransport: seated(async (room, actor, request: { transportId: string; ip: string; port: number; srtpKeyBase64: string }) => {
    await room.connectBotTransport(actor, request);
    return done;
  }),
};
