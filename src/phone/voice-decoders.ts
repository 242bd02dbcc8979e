import { Decoder } from '@evan/opus';
import { decodeG711, pcmSamples } from './phone-audio.js';

/** Packets of one voice remembered once decoded: far more than one caller's copy ever lags behind another's. */
const REMEMBERED = 16;

interface SharedVoice {
  decode: (payload: Buffer) => Int16Array;
  /** Recent packets' samples, by payload: the first caller's copy is decoded, the others' are found here. */
  recent: Map<string, Int16Array>;
  users: number;
}

/** One caller's use of a shared voice: decode its packets, and let go when its consumer goes. */
export interface VoiceHandle {
  decode(payload: Buffer): Int16Array;
  release(): void;
}

function decoderFor(mimeType: string): (payload: Buffer) => Int16Array {
  if (mimeType.toLowerCase() === 'audio/pcmu') return (payload) => decodeG711('PCMU', payload);
  const opus = new Decoder({ channels: 1, sample_rate: 8000 });
  return (payload) => pcmSamples(opus.decode(payload));
}

/**
 * A room's voices, decoded once for all its callers. The SFU sends every caller who hears a voice the same packets
 * (each on the caller's own consumer, so every rule of who hears whom still holds at the SFU); decoding them once per
 * caller cost n² decodes for n callers hearing each other, and dominated the bridge's CPU. Here each voice has one
 * decoder: the first copy of a packet to arrive is decoded, and the samples (never written to: the mixer only reads)
 * serve every other caller's copy.
 */
export class VoiceDecoders {
  private readonly voices = new Map<string, SharedVoice>();

  acquire(producerId: string, mimeType: string): VoiceHandle {
    let voice = this.voices.get(producerId);
    if (!voice) {
      voice = { decode: decoderFor(mimeType), recent: new Map(), users: 0 };
      this.voices.set(producerId, voice);
    }
    const shared = voice;
    shared.users += 1;
    let released = false;
    return {
      decode: (payload) => {
        // The payload's bytes name the packet (a repeat of identical bytes, as in silence, decodes alike anyway).
        const key = payload.toString('latin1');
        let samples = shared.recent.get(key);
        if (!samples) {
          samples = shared.decode(payload);
          shared.recent.set(key, samples);
          if (shared.recent.size > REMEMBERED) shared.recent.delete(shared.recent.keys().next().value!);
        }
        return samples;
      },
      release: () => {
        if (released) return;
        released = true;
        shared.users -= 1;
        if (shared.users === 0) this.voices.delete(producerId);
      },
    };
  }
}
