import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import type { ParticipantMedia } from '../media/participant-media.js';
import { CircleError } from '../protocol/errors.js';
import type { Participant } from '../rooms/participant.js';
import type { Room } from '../rooms/room.js';
import { audioLevel, encodeG711, FRAME_SAMPLES, FrameCutter, SampleQueue } from './phone-audio.js';
import { AUDIO_LEVEL_EXTENSION_ID, parseRtp, RtpSequence } from './rtp-packet.js';
import { VoiceDecoders, type VoiceHandle } from './voice-decoders.js';

/** G.711 μ-law (PCMU), payload type 0: the caller's voice goes into the room as the phone network carries it. */
const PCMU_PAYLOAD_TYPE = 0;
/** Each voice waits for two frames before it plays (and again after running dry), and holds eight at most. */
const CUSHION_SAMPLES = 2 * FRAME_SAMPLES;
const LIMIT_SAMPLES = 8 * FRAME_SAMPLES;

interface Voice {
  producerId: string;
  /** Opus for browsers' voices, μ-law for other callers': decoded once per room (see VoiceDecoders). */
  decoder: VoiceHandle;
  queue: SampleQueue;
}

/** Each room's voices, decoded once for all of its callers. */
const roomVoices = new WeakMap<Room, VoiceDecoders>();
function voicesOf(room: Room): VoiceDecoders {
  let voices = roomVoices.get(room);
  if (!voices) roomVoices.set(room, (voices = new VoiceDecoders()));
  return voices;
}

/**
 * A caller's media in the room. Up: the caller's audio, cut into 20 ms frames of μ-law and sent into a normal
 * audio producer on a DirectTransport, so the SFU applies every rule (hard mute, the floor, side rooms) as for a
 * browser. Down: each voice the caller may hear, consumed on a DirectTransport and decoded to 8 kHz (Opus from
 * browsers, μ-law from other callers); each frame mixes them. The caller's own producer is never consumed, so the mix never holds their own voice.
 */
export class PhoneMedia {
  private readonly outgoing = new RtpSequence(randomInt(1, 0xffffffff), PCMU_PAYLOAD_TYPE);
  private readonly voices = new Map<string, Voice>();
  private readonly heard = new Set<string>();
  private readonly frames = new FrameCutter();
  private producer: types.Producer | undefined;
  /** The call's transports, producer and consumers: the seat's own when the call holds it alone, else its leg's. */
  private media: ParticipantMedia | undefined;
  /** Settles once the transports and the producer exist: voices announced meanwhile are consumed after it. */
  private ready: Promise<void> | undefined;
  private closed = false;

  /** `seat`: the participant the call belongs to now (a browser reconnecting under a leg makes a new one). */
  constructor(
    private readonly room: Room,
    private readonly seat: () => Participant | undefined,
  ) {}

  get producerId(): string | undefined {
    return this.producer?.id;
  }

  start(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  private async open(): Promise<void> {
    const media = this.seat()?.phoneMedia;
    if (!media) throw new CircleError('NOT_JOINED', 'the call no longer holds the seat');
    this.media = media;
    media.setRtpCapabilities(this.room.router.rtpCapabilities);
    await this.room.media.createPhoneTransport(this.participant(), 'recv');
    const sendTransport = await this.room.media.createPhoneTransport(this.participant(), 'send');
    const producerId = await this.room.media.produce(this.participant(), {
      transportId: sendTransport,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/PCMU', payloadType: PCMU_PAYLOAD_TYPE, clockRate: 8000, channels: 1, rtcpFeedback: [] }],
        // The level of each frame, as browsers send it: the active-speaker observer can pick a caller too.
        headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_EXTENSION_ID }],
        encodings: [{ ssrc: this.outgoing.ssrc }],
        rtcp: { cname: 'circle-phone', reducedSize: true },
      },
    });
    this.producer = media.producers.get(producerId);
  }

  /** Starts receiving a voice (idempotent: the same producer announced twice is heard once). */
  async hear(producerId: string): Promise<void> {
    if (this.closed || this.heard.has(producerId)) return;
    this.heard.add(producerId);
    try {
      await this.ready;
      const media = this.media!;
      const info = await this.room.media.consume(this.participant(), producerId, media);
      const consumer = media.consumers.get(info.consumerId);
      if (!consumer || this.closed) return;
      const decoder = voicesOf(this.room).acquire(producerId, consumer.rtpParameters.codecs[0]!.mimeType);
      const voice: Voice = { producerId, decoder, queue: new SampleQueue(CUSHION_SAMPLES, LIMIT_SAMPLES) };
      this.voices.set(consumer.id, voice);
      consumer.on('rtp', (packet: Buffer) => this.receive(voice, packet));
      await media.resumeConsumer(consumer.id);
    } catch {
      // Gone meanwhile (left, moved to another space, closed): nothing to hear. A later announcement retries.
      this.heard.delete(producerId);
    }
  }

  /** The SFU closed a consumer (its owner left or moved away). */
  forget(consumerId: string): void {
    const voice = this.voices.get(consumerId);
    if (!voice) return;
    voice.decoder.release();
    this.voices.delete(consumerId);
    this.heard.delete(voice.producerId);
  }

  /** The caller's audio (any length): sent on in 20 ms frames. */
  send(samples: Int16Array): void {
    const producer = this.producer as (types.Producer & { send(packet: Buffer): void }) | undefined;
    if (!producer || producer.closed) return;
    this.frames.cut(samples, (frame) => producer.send(this.outgoing.next(encodeG711('PCMU', frame), FRAME_SAMPLES, audioLevel(frame))));
  }

  /** Adds one frame of everyone heard onto `mix`. */
  mixInto(mix: Int32Array): void {
    for (const voice of this.voices.values()) voice.queue.mixInto(mix);
  }

  close(): void {
    this.closed = true;
    for (const voice of this.voices.values()) voice.decoder.release();
    this.voices.clear();
    this.heard.clear();
  }

  private participant(): Participant {
    const participant = this.seat();
    if (!participant) throw new CircleError('NOT_JOINED', 'the call no longer holds the seat');
    return participant;
  }

  private receive(voice: Voice, data: Buffer): void {
    const packet = parseRtp(data);
    // Padding-only packets (an empty Opus payload, as Chrome sends to probe bandwidth) carry no audio.
    if (!packet || packet.payload.length === 0) return;
    try {
      voice.queue.push(voice.decoder.decode(packet.payload));
    } catch {
      // A packet the decoder cannot read is a moment of silence, not a failed call.
    }
  }
}
