import type { types } from 'mediasoup';
import type { TokenService } from '../auth/tokens.js';
import type { RequestResults } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { RequestName, RequestPayload } from '../protocol/schemas.js';
import type { RoomRegistry } from '../rooms/room-registry.js';
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

/** Each handler: payload already parsed, permission checked by the domain; it calls the domain and answers. */
export const handlers: { [K in RequestName]: Handler<K> } = {
  async join({ token }, session, { tokens, registry }) {
    if (session.seat) throw new CircleError('ALREADY_JOINED', 'this connection already holds a seat');
    const identity = await tokens.verify(token);
    const seat = await registry.join(identity, session);
    if (!session.connected) {
      registry.leave(seat);
      throw new CircleError('NOT_JOINED', 'the connection closed while joining');
    }
    session.seatIn(seat);
    return {
      participantId: identity.participantId,
      role: identity.role,
      displayName: identity.displayName,
      routerRtpCapabilities: seat.room.router.rtpCapabilities,
      peers: seat.room.peersOf(seat.participant),
    };
  },

  async setRtpCapabilities({ rtpCapabilities }, session) {
    session.requireSeat().participant.media.setRtpCapabilities(rtpCapabilities as types.RtpCapabilities);
    return done;
  },

  async createTransport({ direction }, session) {
    return session.requireSeat().participant.media.createTransport(direction);
  },

  async connectTransport({ transportId, dtlsParameters }, session) {
    const { participant } = session.requireSeat();
    await participant.media.connectTransport(transportId, dtlsParameters as types.DtlsParameters);
    return done;
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
};
