import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import { CircleError } from '../protocol/errors.js';
import type { Participant } from '../rooms/participant.js';
import type { Membership } from '../rooms/room-registry.js';
import { audioLevel, encodeG711, FRAME_SAMPLES, FrameCutter } from './phone-audio.js';
import type { SeatGateway } from './seat-gateway.js';
import type { CallVoices } from './room-voices.js';
import { AUDIO_LEVEL_EXTENSION_ID, RtpSequence } from './rtp-packet.js';
import type { SpaceMix } from './space-mix.js';
import type { CallKeys } from './call-keys.js';
import type { Bytes } from '../e2ee/sframe.js';

/** G.711 μ-law (PCMU), payload type 0: the caller's voice goes into the room as the phone network carries it. */
const PCMU_PAYLOAD_TYPE = 0;

/**
 * A caller's media in the room. Up: the caller's audio, cut into 20 ms frames of μ-law and sent into a normal
 * audio producer on a DirectTransport, so the SFU applies every rule (hard mute, the floor, side rooms) as for a
 * browser. Down: the mix of the caller's space (the group or a side room), less the caller's own voice.
 */
export class PhoneMedia {
  private readonly outgoing = new RtpSequence(randomInt(1, 0xffffffff), PCMU_PAYLOAD_TYPE);
  private readonly frames = new FrameCutter();
  private producer: types.Producer | undefined;
  /** The mix of the space the caller is in; followed when they move. */
  private space: SpaceMix | undefined;
  private ready: Promise<void> | undefined;
  /** Frames sealed and sent in the order they were cut, whatever order the cipher finishes them in. */
  private sending: Promise<void> = Promise.resolve();
  private closed = false;

  /** `seat`: the participant the call belongs to now (a browser reconnecting under a leg makes a new one). */
  constructor(
    private readonly seats: SeatGateway,
    private readonly membership: Membership,
    private readonly voices: CallVoices,
    private readonly seat: () => Participant | undefined,
    /** The bridge's keys for this seat in an encrypted session: what the caller says is sealed, what they hear opened. */
    private readonly keys?: CallKeys,
  ) {}

  get producerId(): string | undefined {
    return this.producer?.id;
  }

  start(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  private async open(): Promise<void> {
    // The call's transport and producer: the seat's own when the call holds it alone, else its leg's.
    this.producer = await this.seats.sendVoice(
      this.membership,
      this.participant(),
      {
        codecs: [{ mimeType: 'audio/PCMU', payloadType: PCMU_PAYLOAD_TYPE, clockRate: 8000, channels: 1, rtcpFeedback: [] }],
        // The level of each frame, as browsers send it: the active-speaker observer can pick a caller too.
        headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_EXTENSION_ID }],
        encodings: [{ ssrc: this.outgoing.ssrc }],
        rtcp: { cname: 'circle-phone', reducedSize: true },
      },
      'microphone',
    );
  }

  /** The caller may hear a voice (announced by the room): their space's mix takes it once for everyone there. */
  hear(producerId: string): void {
    const participant = this.seat();
    if (this.closed || !participant) return;
    void this.spaceOf(participant).hear(participant, producerId);
  }

  /** The caller's audio (any length): sent on in 20 ms frames. */
  send(samples: Int16Array): void {
    const producer = this.producer as (types.Producer & { send(packet: Buffer): void }) | undefined;
    if (!producer || producer.closed) return;
    const keys = this.keys;
    this.frames.cut(samples, (frame) => {
      const payload = encodeG711('PCMU', frame);
      const level = audioLevel(frame);
      if (!keys) return producer.send(this.outgoing.next(payload, FRAME_SAMPLES, level));
      this.sending = this.sending
        .then(() => keys.seal(payload as Bytes))
        .then((sealed) => {
          if (sealed && !producer.closed) producer.send(this.outgoing.next(sealed, FRAME_SAMPLES, level));
        });
    });
  }

  /** Adds frame number `frame` of everyone the caller hears onto `mix`. */
  mixInto(mix: Int32Array, frame: number): void {
    const participant = this.seat();
    if (this.closed || !participant) return;
    this.spaceOf(participant).mixFor(participant.id, frame, mix);
  }

  close(): void {
    this.closed = true;
    this.space?.leave(this.keys);
    this.space = undefined;
  }

  /** The mix of the space the caller is in now: a move to or from a side room changes it at once. */
  private spaceOf(participant: Participant): SpaceMix {
    if (!this.space || this.space.space !== participant.sideRoomId) {
      this.space?.leave(this.keys);
      this.space = this.voices.enter(this.membership, participant.sideRoomId, this.keys);
    }
    return this.space;
  }

  private participant(): Participant {
    const participant = this.seat();
    if (!participant) throw new CircleError('NOT_JOINED', 'the call no longer holds the seat');
    return participant;
  }
}
