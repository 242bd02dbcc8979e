import type { Identity } from '../auth/tokens.js';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { PeerInfo, ServerToClientEvents, SessionEndReason } from '../protocol/events.js';

export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventArgs<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>;

/** How the domain reaches one participant's client, whatever carries it. */
export interface ParticipantChannel {
  send<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void;
  /** The seat is gone (room closed); the client may join again on the same connection. */
  detach(): void;
  /** The session is over for this connection; it is told why and disconnected. */
  end(reason: SessionEndReason): void;
}

export class Participant {
  constructor(
    readonly identity: Identity,
    readonly media: ParticipantMedia,
    readonly channel: ParticipantChannel,
  ) {
    media.on('consumerClosed', (consumerId) => channel.send('consumerClosed', { consumerId }));
  }

  get id(): string {
    return this.identity.participantId;
  }

  describe(): PeerInfo {
    return {
      participantId: this.id,
      displayName: this.identity.displayName,
      role: this.identity.role,
      producers: this.media.describeProducers(),
    };
  }
}
