import alawmulaw from 'alawmulaw';
import type { G711 } from './sdp-answer.js';

/** The telephone's audio: 8 kHz mono, handled in 20 ms frames. */
export const SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;

const codecs = { PCMU: alawmulaw.mulaw, PCMA: alawmulaw.alaw };

export function decodeG711(codec: G711, payload: Uint8Array): Int16Array {
  return codecs[codec].decode(payload);
}

export function encodeG711(codec: G711, samples: Int16Array): Uint8Array {
  return codecs[codec].encode(samples);
}

/** A frame's level as RFC 6464 puts it: -dBov, 0 (full scale) to 127 (silence or below -127 dBov). */
export function audioLevel(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  const rms = Math.sqrt(sum / Math.max(1, samples.length)) / 32768;
  return rms === 0 ? 127 : Math.min(127, Math.max(0, Math.round(-20 * Math.log10(rms))));
}

/**
 * A first-in first-out run of samples from one source (a person in the room, a prompt). A live source waits until
 * it holds `cushion` samples before it plays, and again after it runs dry, so a late packet makes one short gap
 * rather than audio chopped at every frame; past `limit` the oldest samples go, so delay cannot build up.
 */
export class SampleQueue {
  private chunks: Int16Array[] = [];
  private offset = 0;
  private length = 0;
  private primed = false;

  constructor(
    private readonly cushion: number,
    private readonly limit: number,
  ) {}

  get size(): number {
    return this.length;
  }

  push(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.chunks.push(samples);
    this.length += samples.length;
    if (this.length > this.limit) this.skip(this.length - this.limit);
    if (this.length >= this.cushion) this.primed = true;
  }

  /** Adds up to `into.length` samples onto `into` (a mix); answers whether this source played. */
  mixInto(into: Int32Array): boolean {
    if (!this.primed) return false;
    let written = 0;
    while (written < into.length && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.offset, into.length - written);
      for (let i = 0; i < take; i += 1) into[written + i]! += chunk[this.offset + i]!;
      written += take;
      this.consume(take);
    }
    if (this.length === 0) this.primed = false;
    return written > 0;
  }

  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
    this.primed = false;
  }

  private skip(count: number): void {
    while (count > 0 && this.chunks.length > 0) {
      const take = Math.min(this.chunks[0]!.length - this.offset, count);
      this.consume(take);
      count -= take;
    }
  }

  private consume(count: number): void {
    this.offset += count;
    this.length -= count;
    if (this.offset >= this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}

/** The sum of a frame's sources, clipped to 16 bits. */
export function clip(mix: Int32Array): Int16Array {
  const out = new Int16Array(mix.length);
  for (let i = 0; i < mix.length; i += 1) out[i] = Math.max(-32768, Math.min(32767, mix[i]!));
  return out;
}

/** Little-endian 16-bit PCM bytes (what the Opus decoder gives) as samples. */
export function pcmSamples(bytes: Uint8Array): Int16Array {
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Cuts audio of any packet length (a carrier's 30 ms, say) into 20 ms frames; what is left waits for the next. */
export class FrameCutter {
  private pending = new Int16Array(0);

  /** Calls `frame` for each whole 20 ms frame `samples` completes. */
  cut(samples: Int16Array, frame: (samples: Int16Array) => void): void {
    const joined = new Int16Array(this.pending.length + samples.length);
    joined.set(this.pending);
    joined.set(samples, this.pending.length);
    let offset = 0;
    for (; offset + FRAME_SAMPLES <= joined.length; offset += FRAME_SAMPLES) frame(joined.subarray(offset, offset + FRAME_SAMPLES));
    this.pending = joined.slice(offset);
  }
}
