import type { types } from 'mediasoup';
import type { TokenService } from '../auth/tokens.js';
import type { RequestResults } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { RequestName, RequestPayload } from '../protocol/schemas.js';
import type { Moderation } from '../rooms/moderation.js';
import type { TurnTaking } from '../rooms/turn-taking.js';
import type { Participant } from '../rooms/participant.js';
import type { RoomRegistry, Seat } from '../rooms/room-registry.js';
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

/** A moderation request aimed at one participant: the domain authorises it against the permission table. */
function onTarget(act: (moderation: Moderation, actor: Participant, targetId: string) => unknown) {
  return async ({ participantId }: { participantId: string }, session: ClientSession) => {
    const { room, participant } = session.requireSeat();
    await act(room.moderation, participant, participantId);
    return done;
  };
}

/** A moderation request about the whole room. */
function onRoom<T>(act: (moderation: Moderation, actor: Participant) => T | Promise<T>) {
  return async (_payload: unknown, session: ClientSession) => {
    const { room, participant } = session.requireSeat();
    return act(room.moderation, participant);
  };
}

/** A turn-taking request: hands and the floor. */
function onFloor<P, T>(act: (turns: TurnTaking, actor: Participant, payload: P) => T | Promise<T>) {
  return async (payload: P, session: ClientSession) => {
    const { room, participant } = session.requireSeat();
    return act(room.turns, participant, payload);
  };
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
  admitAll: onRoom((m, actor) => ({ admitted: m.admitAll(actor) })),
  deny: onTarget((m, actor, target) => m.deny(actor, target)),
  denyAll: onRoom((m, actor) => ({ denied: m.denyAll(actor) })),
  mute: onTarget((m, actor, target) => m.mute(actor, target)),
  muteAllClients: onRoom(async (m, actor) => ({ muted: await m.muteAllClients(actor) })),
  askToUnmute: onTarget((m, actor, target) => m.askToUnmute(actor, target)),
  stopVideo: onTarget((m, actor, target) => m.stopVideo(actor, target)),
  askToStartVideo: onTarget((m, actor, target) => m.askToStartVideo(actor, target)),
  remove: onTarget((m, actor, target) => m.remove(actor, target)),
  promote: onTarget((m, actor, target) => m.promote(actor, target)),
  demote: onTarget((m, actor, target) => m.demote(actor, target)),
  handOver: onTarget((m, actor, target) => m.handOver(actor, target)),

  async spotlight({ participantId }, session) {
    const { room, participant } = session.requireSeat();
    room.moderation.spotlight(participant, participantId);
    return done;
  },

  lock: onRoom((m, actor) => (m.setLocked(actor, true), done)),
  unlock: onRoom((m, actor) => (m.setLocked(actor, false), done)),
  end: onRoom((m, actor) => (m.end(actor), done)),
  getAuditLog: onRoom((m, actor) => ({ entries: m.auditLog(actor) })),

  raiseHand: onFloor((t, actor) => ({ position: t.raiseHand(actor) })),
  lowerHand: onFloor((t, actor) => (t.lowerHand(actor), done)),
  grantFloor: onFloor(async (t, actor, { participantId }: { participantId: string | null }) => ({
    holder: await t.grant(actor, participantId),
  })),
  takeBackFloor: onFloor(async (t, actor) => (await t.takeBack(actor), done)),
  moveInQueue: onFloor((t, actor, p: { participantId: string; position: number }) => (t.move(actor, p.participantId, p.position), done)),
  removeFromQueue: onFloor((t, actor, { participantId }: { participantId: string }) => (t.removeFromQueue(actor, participantId), done)),
  clearQueue: onFloor((t, actor) => (t.clear(actor), done)),
  setFloorMode: onFloor(async (t, actor, { mode }: { mode: 'open' | 'queue' }) => (await t.setMode(actor, mode), done)),
  setTurnLimit: onFloor((t, actor, { seconds }: { seconds: number | null }) => (t.setTurnLimit(actor, seconds), done)),
  extendTurn: onFloor((t, actor, { seconds }: { seconds: number }) => (t.extend(actor, seconds), done)),
};
