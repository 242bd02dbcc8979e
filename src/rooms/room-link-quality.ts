import type { EventEmitter } from 'node:events';
import { RoomQuality } from './room-quality.js';
import type { Audience } from './audience.js';
import type { Participant } from './participant.js';
import type { ParticipationEvent, RoomObserverEvents } from './room-port.js';
import type { RoomMedia } from './room-media.js';
import type { QualitySettings } from '../quality/link-quality.js';

/**
 * A room's link quality, wired to the room: it reads the participants and applies its video rules through the
 * room's audience and media, and tells metrics and webhooks through the room's observer.
 */
export function roomLinkQuality(
  participants: ReadonlyMap<string, Participant>,
  audience: Audience,
  media: RoomMedia,
  settings: QualitySettings,
  observer: EventEmitter<RoomObserverEvents>,
): RoomQuality {
  const tell = (event: ParticipationEvent) => observer.emit('participation', event);
  return new RoomQuality(
    {
      admittedParticipants: () => audience.admitted(),
      isPresent: (participant) => participants.get(participant.id) === participant,
      applyVideoRules: (participant) => media.syncProducers(participant, 'video'),
      privateStateChanged: (participant) => audience.privateStateChanged(participant),
      lobbyChanged: () => audience.lobbyChanged(),
    },
    settings,
    {
      onAudioOnlyTransition: (participant, direction, reason) => {
        observer.emit('audioOnlyTransition', direction, reason);
        tell({ type: 'participant.audioOnly', participantId: participant.id, audioOnly: direction === 'to-audio-only' });
      },
      onLinkShown: (participant, quality) => tell({ type: 'participant.quality', participantId: participant.id, quality }),
      onSample: (sample) => observer.emit('linkSample', sample),
      onError: (error, during) => observer.emit('taskFailed', error, during),
    },
  );
}
