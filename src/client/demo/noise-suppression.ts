import { loadRnnoise, RnnoiseWorkletNode } from '@sapphi-red/web-noise-suppressor';

const NOISE_SUPPRESSION_KEY = 'circle.noiseSuppression';

/** The microphone as sent, and the switch between it with RNNoise and without. */
export interface SuppressedMicrophone {
  /** The track to send: the microphone through RNNoise while on, straight while off. */
  track: MediaStreamTrack;
  readonly on: boolean;
  set(on: boolean): void;
  close(): void;
}

/** Whether noise suppression is on for this person: their choice on this device, else on for clients only. */
export function noiseSuppressionWanted(role: string, read: (key: string) => string | null): boolean {
  const chosen = read(NOISE_SUPPRESSION_KEY);
  return chosen === null ? role === 'client' : chosen === 'on';
}

export const rememberNoiseSuppression = (on: boolean, write: (key: string, value: string) => void) => write(NOISE_SUPPRESSION_KEY, on ? 'on' : 'off');

/**
 * RNNoise (a small recurrent network trained on speech and household noise: fans, traffic, typing, a dog) between
 * the microphone and the SFU, in an AudioWorklet off the page's main thread, as WebAssembly (SIMD where the
 * browser has it). A client at home sends their voice, not their kitchen. The browser's own noise suppression
 * (stationary hum) stays on beneath it. The switch reroutes the graph, so the track being sent never changes.
 */
export async function suppressNoise(microphone: MediaStreamTrack, on: boolean): Promise<SuppressedMicrophone> {
  // RNNoise works on 48 kHz frames; a context at that rate spares a resampler.
  const context = new AudioContext({ sampleRate: 48_000 });
  const [wasmBinary] = await Promise.all([
    loadRnnoise({ url: 'noise/rnnoise.wasm', simdUrl: 'noise/rnnoise_simd.wasm' }),
    context.audioWorklet.addModule('noise/rnnoiseWorklet.js'),
  ]);
  const source = context.createMediaStreamSource(new MediaStream([microphone]));
  const rnnoise = new RnnoiseWorkletNode(context, { wasmBinary, maxChannels: 1 });
  const out = context.createMediaStreamDestination();
  rnnoise.connect(out);
  const track = out.stream.getAudioTracks()[0]!;
  const suppressed = {
    track,
    on,
    set(enabled: boolean) {
      source.disconnect();
      source.connect(enabled ? rnnoise : out);
      suppressed.on = enabled;
    },
    close() {
      track.stop();
      rnnoise.destroy();
      void context.close();
    },
  };
  suppressed.set(on);
  return suppressed;
}
