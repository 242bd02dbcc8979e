import { Decoder } from '@evan/opus';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { Participant } from '../rooms/participant.js';
import type { Room } from '../rooms/room.js';
import { decodeG711, FRAME_SAMPLES, pcmSamples, SampleQueue } from './phone-audio.js';
import { parseRtp } from './rtp-packet.js';

/** Each voice waits for two frames before it plays (and again after running dry), and holds eight at most. */
const CUSHION_SAMPLES = 2 * FRAME_SAMPLES;
const LIMIT_SAMPLES = 8 * FRAME_SAMPLES;

interface Voice {
  producerId: string;
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

/** The spaces with callers in them, per room. */
const roomSpaces = new WeakMap<Room, Map<string | null, SpaceMix>>();

/** A caller enters `space` of `room`: its mix, made for the first caller there. Each `enterSpace` is paired with a `leave`. */
export function enterSpace(room: Room, space: string | null): SpaceMix {
  const spaces = roomSpaces.get(room) ?? new Map<string | null, SpaceMix>();
  roomSpaces.set(room, spaces);
  let mix = spaces.get(space);
  if (!mix) spaces.set(space, (mix = new SpaceMix(room, space, () => spaces.delete(space))));
  mix.callers += 1;
  return mix;
}

/**
 * One space's voices (the group's, or a side room's), taken once by the space's listener at the SFU, decoded once,
 * and summed once per frame for every caller there; each caller hears the sum less their own voice (mix-minus). So
 * n callers hearing each other cost n voices and one sum, not n² of each (docs/benchmarks.md, "Phone bridge").
 */
export class SpaceMix {
  callers = 0;
  private readonly voices = new Map<string, Voice>();
  /** Producers taken or being taken, so a voice announced to several callers is taken once. */
  private readonly heard = new Set<string>();
  private readonly sum = new Int32Array(FRAME_SAMPLES);
  private mixedFrame = -1;
  private readonly listener: Promise<ParticipantMedia>;
  private closed = false;

  constructor(
    private readonly room: Room,
    readonly space: string | null,
    private readonly onClose: () => void,
  ) {
    this.listener = room.media.listeners.open(space).then((listener) => {
      listener.on('consumersClosed', (consumerIds) => consumerIds.forEach((consumerId) => this.forget(consumerId)));
      return listener;
    });
    // A listener that cannot open (the room is closing) leaves the space silent; `hear` reports nothing either.
    this.listener.catch(() => undefined);
  }

  /** `caller` (in this space) may hear `producerId`: the space takes it, unless it already does. */
  async hear(caller: Participant, producerId: string): Promise<void> {
    if (this.closed || this.heard.has(producerId)) return;
    this.heard.add(producerId);
    try {
      const listener = await this.listener;
      const info = await this.room.media.listenFor(caller, this.space, producerId);
      const consumer = listener.consumers.get(info.consumerId);
      if (!consumer) throw new Error('closed meanwhile');
      const voice: Voice = {
        producerId,
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

  /** A caller left the space: the last one closes its mix and its listener at the SFU. */
  leave(): void {
    this.callers -= 1;
    if (this.callers > 0) return;
    this.closed = true;
    this.voices.clear();
    this.onClose();
    this.room.media.listeners.close(this.space);
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
    try {
      voice.queue.push(voice.decode(packet.payload));
    } catch {
      // A packet the decoder cannot read is a moment of silence, not a failed call.
    }
  }
}
