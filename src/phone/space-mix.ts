import { Decoder } from '@evan/opus';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { Participant } from '../rooms/participant.js';
import type { Membership } from '../rooms/room-registry.js';
import type { SeatGateway } from './seat-gateway.js';
import { decodeG711, FRAME_SAMPLES, pcmSamples, SampleQueue } from './phone-audio.js';
import { parseRtp } from './rtp-packet.js';
import type { CallKeys } from './call-keys.js';
import type { Bytes } from '../e2ee/sframe.js';
import { GROUP_CIRCLE } from '../protocol/e2ee.js';

/** Each voice waits for two frames before it plays (and again after running dry), and holds eight at most. */
const CUSHION_SAMPLES = 2 * FRAME_SAMPLES;
const LIMIT_SAMPLES = 8 * FRAME_SAMPLES;

interface Voice {
  producerId: string;
  /** In an encrypted session, its frames opened in the order they came. */
  opening: Promise<void>;
  ownerId: string;
  /** Opus for browsers' voices, μ-law for callers': one decoder per voice, whoever hears it. */
  decode: (payload: Buffer) => Int16Array;
  queue: SampleQueue;
  /** The voice's samples in the frame being mixed, and whether it had any. */
  frame: Int32Array;
  playing: boolean;
}

function decoderFor(mimeType: string): (payload: Buffer) => Int16Array {
  if (mimeType.toLowerCase() === 'audio/pcmu') return (payload) => decodeG711('PCMU', payload);
  const opus = new Decoder({ channels: 1, sample_rate: 8000 });
  return (payload) => pcmSamples(opus.decode(payload));
}

/**
 * One space's voices (the group's, or a side room's), taken once by the space's receiver at the SFU, decoded once,
 * and summed once per frame for every caller there; each caller hears the sum less their own voice (mix-minus). So
 * n callers hearing each other cost n voices and one sum, not n² of each (docs/benchmarks.md, "Phone bridge"). A
 * consumer per caller per voice was n² for n callers (a room of twelve callers sent every packet across the worker's
 * channel eleven times) and cost more than the 2%-of-a-core target per caller. The rules still act at the SFU: the
 * receiver takes only the voices of those in its space (`SeatGateway.listenFor`), and stops taking someone's voice
 * the moment they leave the space, before anyone is told (`keepTo`, on the room's `parted`).
 */
export class SpaceMix {
  private callers = 0;
  /** The bridge's keys of each caller here in an encrypted session: any of them opens the space's voices. */
  private readonly keyHolders = new Set<CallKeys>();
  /** The circle of keys this space speaks in, in an encrypted session. */
  private readonly circle: string;
  private readonly voices = new Map<string, Voice>();
  /** Producers taken or being taken, so a voice announced to several callers is taken once. */
  private readonly heard = new Set<string>();
  private readonly sum = new Int32Array(FRAME_SAMPLES);
  private mixedFrame = -1;
  /** The space's receiver at the SFU; `ready` settles once its receive transport exists. */
  private readonly receiver: ParticipantMedia;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(
    private readonly seats: SeatGateway,
    private readonly membership: Membership,
    readonly space: string | null,
    private readonly onClose: () => void,
  ) {
    this.circle = space ?? GROUP_CIRCLE;
    this.receiver = seats.openReceiver(membership);
    this.receiver.on('consumersClosed', (consumerIds) => consumerIds.forEach((consumerId) => this.forget(consumerId)));
    this.ready = this.receiver.createDirectTransport('recv').then(() => undefined);
    // A receiver that cannot open (the room is closing) leaves the space silent; `hear` reports nothing either.
    this.ready.catch(() => undefined);
  }

  /** `caller` (in this space) may hear `producerId`: the space takes it, unless it already does. */
  async hear(caller: Participant, producerId: string): Promise<void> {
    if (this.closed || this.heard.has(producerId)) return;
    this.heard.add(producerId);
    try {
      await this.ready;
      const info = await this.seats.listenFor(this.membership, this.receiver, caller, this.space, producerId);
      const consumer = this.receiver.consumers.get(info.consumerId);
      if (!consumer) throw new Error('closed meanwhile');
      const voice: Voice = {
        producerId,
        opening: Promise.resolve(),
        ownerId: info.participantId,
        decode: decoderFor(consumer.rtpParameters.codecs[0]!.mimeType),
        queue: new SampleQueue(CUSHION_SAMPLES, LIMIT_SAMPLES),
        frame: new Int32Array(FRAME_SAMPLES),
        playing: false,
      };
      this.voices.set(consumer.id, voice);
      consumer.on('rtp', (packet: Buffer) => this.receive(voice, packet));
    } catch {
      // Gone meanwhile (left, moved to another space, closed): nothing to hear. A later announcement retries.
      this.heard.delete(producerId);
    }
  }

  /** Adds frame number `frame` of everyone in the space but `participantId` onto `into`. */
  mixFor(participantId: string, frame: number, into: Int32Array): void {
    if (frame !== this.mixedFrame) this.mixFrame(frame);
    for (let i = 0; i < into.length; i += 1) into[i]! += this.sum[i]!;
    for (const voice of this.voices.values()) {
      if (!voice.playing || voice.ownerId !== participantId) continue;
      for (let i = 0; i < into.length; i += 1) into[i]! -= voice.frame[i]!;
    }
  }

  get receiverAtSfu(): ParticipantMedia {
    return this.receiver;
  }

  /** These people left a space: if they are not in this one now, the receiver stops taking their voices. */
  keepTo(people: Participant[]): void {
    const apart = new Set(people.filter((person) => person.sideRoomId !== this.space).map((person) => person.id));
    if (apart.size > 0) this.receiver.closeConsumersOf(apart);
  }

  /** A caller came into the space, with the bridge's keys for their seat if the session is encrypted. */
  join(keys: CallKeys | undefined): void {
    this.callers += 1;
    if (keys) this.keyHolders.add(keys);
  }

  /** A caller left the space: the last one closes its mix and its receiver at the SFU. */
  leave(keys: CallKeys | undefined): void {
    this.callers -= 1;
    if (keys) this.keyHolders.delete(keys);
    if (this.callers > 0) return;
    this.closed = true;
    this.voices.clear();
    this.onClose();
    this.receiver.close();
  }

  private mixFrame(frame: number): void {
    this.mixedFrame = frame;
    this.sum.fill(0);
    for (const voice of this.voices.values()) {
      voice.frame.fill(0);
      voice.playing = voice.queue.mixInto(voice.frame);
      if (!voice.playing) continue;
      for (let i = 0; i < FRAME_SAMPLES; i += 1) this.sum[i]! += voice.frame[i]!;
    }
  }

  /** The SFU stopped the space taking a voice (its owner left or moved away): what is queued of it goes too. */
  private forget(consumerId: string): void {
    const voice = this.voices.get(consumerId);
    if (!voice) return;
    this.voices.delete(consumerId);
    this.heard.delete(voice.producerId);
  }

  private receive(voice: Voice, data: Buffer): void {
    const packet = parseRtp(data);
    // Padding-only packets (an empty Opus payload, as Chrome sends to probe bandwidth) carry no audio.
    if (!packet || packet.payload.length === 0) return;
    if (this.keyHolders.size === 0) return this.play(voice, packet.payload);
    const sealed = packet.payload as Uint8Array as Bytes;
    voice.opening = voice.opening.then(async () => {
      const frame = await this.open(sealed);
      if (frame) this.play(voice, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    });
  }

  /** A frame sealed for this space's circle, opened with the keys of any caller here; undefined if none opens it. */
  private async open(sealed: Bytes): Promise<Bytes | undefined> {
    for (const keys of this.keyHolders) {
      const frame = await keys.open(this.circle, sealed);
      if (frame) return frame;
    }
    return undefined;
  }

  private play(voice: Voice, payload: Buffer): void {
    try {
      voice.queue.push(voice.decode(payload));
    } catch {
      // A packet the decoder cannot read is a moment of silence, not a failed call.
    }
  }
}
