import type { E2eeDialIn, E2eeMode } from '../protocol/e2ee.js';
import type { TransportSettings } from '../media/participant-media.js';
import type { MessagingSettings } from './messaging.js';
import type { QualitySettings } from '../quality/link-quality.js';

/** How every room on this node behaves, from configuration. */
export interface RoomSettings {
  maxParticipants: number;
  transport: Omit<TransportSettings, 'webRtcServer'>;
  /** Clients wait in the lobby until a facilitator or co-facilitator admits them. */
  requireAdmission: boolean;
  observersVisibleToClients: boolean;
  /** How long a room may lack a facilitator before it is put on hold. */
  facilitatorAbsenceMs: number;
  /** How long before a timed turn ends its holder and the staff are warned. */
  turnWarningMs: number;
  /** How long the seat of someone whose connection dropped is kept for them. */
  resumeGraceMs: number;
  /** Whether load-test bots may open plain RTP transports (benchmarks only). */
  botTransports: boolean;
  /** Moderation requests each staff member may make per second, and at once. */
  moderationPerSecond: number;
  moderationBurst: number;
  /** When video steps down to audio-only and back, per participant and direction. */
  quality: QualitySettings;
  messages: MessagingSettings;
  /** Whether speaking time and turns are counted (an audio-level observer per room). */
  talkBalance: boolean;
  /** End-to-end encryption: unless off, admitted members agree keys, the room only delivering their messages. */
  e2eeMode: E2eeMode;
  /** Whether an encrypted session takes calls (the bridge then a member of its circles for each). */
  e2eeDialIn: E2eeDialIn;
}
