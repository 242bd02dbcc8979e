import type { Page } from 'puppeteer-core';

/**
 * Test tones for browser tests: each page's microphone is a pure tone of its own frequency, and each page has an
 * "ear" that analyses everything it plays out (every remote audio track, mixed) and answers which of the known
 * tones it hears. Who hears whom is then read from sound, as a person would, not from counters.
 */

/**
 * Before the page loads: `getUserMedia` answers a tone of `hz` as the microphone (the camera stays real).
 * `syllables`: the tone comes and goes four times a second, as speech does. A dominant-speaker detector (mediasoup's
 * ActiveSpeakerObserver) takes a steady tone for background noise and never picks it; it picks this.
 */
export async function useToneMicrophone(page: Page, hz: number, { syllables = false } = {}): Promise<void> {
  // The ear's worklet (below) is the test's own instrument, loaded from a blob the page's CSP rightly refuses.
  await page.setBypassCSP(true);
  await page.evaluateOnNewDocument((frequency: number, syllablesWanted: boolean) => {
    const devices = navigator.mediaDevices;
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
      const stream = constraints?.video ? await original({ video: constraints.video }) : new MediaStream();
      if (constraints?.audio) {
        const context = new AudioContext();
        // The ear (below) listens in this same context: every context is an audio device the page keeps running.
        (window as unknown as { toneContext?: AudioContext }).toneContext ??= context;
        const tone = context.createOscillator();
        tone.frequency.value = frequency;
        const level = context.createGain();
        level.gain.value = 0.25;
        const out = context.createMediaStreamDestination();
        tone.connect(level).connect(out);
        tone.start();
        if (syllablesWanted) {
          // A square wave at 4 Hz swings the level between 0 and 0.5: a syllable, a gap, a syllable…
          const rhythm = context.createOscillator();
          rhythm.type = 'square';
          rhythm.frequency.value = 4;
          const depth = context.createGain();
          depth.gain.value = 0.25;
          rhythm.connect(depth).connect(level.gain);
          rhythm.start();
        }
        stream.addTrack(out.stream.getAudioTracks()[0]!);
      }
      return stream;
    };
  }, hz, syllables);
}

/**
 * Before the page loads: `getUserMedia` answers white noise as the microphone (a fan or a street at an everyday
 * level: −27 dBFS RMS), for the noise suppressor to take out. The camera stays real.
 */
export async function useNoiseMicrophone(page: Page): Promise<void> {
  await page.evaluateOnNewDocument(() => {
    const devices = navigator.mediaDevices;
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
      const stream = constraints?.video ? await original({ video: constraints.video }) : new MediaStream();
      if (constraints?.audio) {
        const context = new AudioContext({ sampleRate: 48_000 });
        const noise = context.createBuffer(1, 48_000 * 2, 48_000);
        const samples = noise.getChannelData(0);
        for (let i = 0; i < samples.length; i += 1) samples[i] = (Math.random() * 2 - 1) * 0.08;
        const source = context.createBufferSource();
        source.buffer = noise;
        source.loop = true;
        const out = context.createMediaStreamDestination();
        source.connect(out);
        source.start();
        stream.addTrack(out.stream.getAudioTracks()[0]!);
      }
      return stream;
    };
  });
}

/**
 * The ear's audio-thread half: a Goertzel filter per known tone over the last 1,024 samples (21 ms at 48 kHz,
 * Hann-windowed), evaluated every 256 samples. It runs on the audio rendering thread, so a busy page's main thread does not delay
 * what it hears; each change of the heard set is posted with the time it happened (Date.now() on that thread).
 *
 * A click is not a voice: a dropout in playout (a busy machine's underrun) or a track cut off mid-wave is a step in the
 * signal, whose energy spreads over every frequency, the tones' bins among them, and for one window the page would
 * seem to hear everyone, itself included. So the ear also listens at guard frequencies no page sends (well away from
 * every tone); a window with energy there is a transient, reported as such, and the heard set keeps its last value.
 * A dropout in a voice the page does hear spreads the other way, into sidebands a couple of hundred hertz either
 * side of that voice, where the other tones sit and no guard can: so a tone counts as heard only once it has been
 * there for ONSET_CHECKS checks in a row (64 ms), longer than such a click lasts; it stops counting at once.
 */
const EAR_WORKLET = `
const ONSET_CHECKS = 12;
class Ear extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.tones = options.processorOptions.tones;
    this.guards = options.processorOptions.guards;
    this.window = new Float32Array(1024);
    // A Hann window: without it, a loud tone leaks into the others' bins and every tone seems heard.
    this.weights = this.window.map((_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (this.window.length - 1)));
    this.weightSum = this.weights.reduce((sum, w) => sum + w, 0);
    this.filled = 0;
    this.sinceCheck = 0;
    this.heard = '';
    // How many checks in a row each tone has been above the threshold.
    this.present = this.tones.map(() => 0);
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    const samples = channel || new Float32Array(128);
    this.window.copyWithin(0, samples.length);
    this.window.set(samples, this.window.length - samples.length);
    this.filled = Math.min(this.window.length, this.filled + samples.length);
    this.sinceCheck += samples.length;
    if (this.sinceCheck >= 256 && this.filled === this.window.length) {
      this.sinceCheck = 0;
      if (this.guards.some((hz) => this.amplitude(hz) > 0.005)) {
        // A tone on its way to being heard starts again: the windows beside a click carry some of it too.
        this.present = this.present.map((checks) => (checks >= ONSET_CHECKS ? checks : 0));
        this.port.postMessage({ at: Date.now(), transient: true });
        return true;
      }
      this.present = this.tones.map((hz, i) => (this.amplitude(hz) > 0.005 ? this.present[i] + 1 : 0));
      const heard = this.tones.filter((_, i) => this.present[i] >= ONSET_CHECKS);
      const key = heard.join(',');
      if (key !== this.heard) {
        this.heard = key;
        this.port.postMessage({ at: Date.now(), heard });
      }
    }
    return true;
  }
  amplitude(hz) {
    const n = this.window.length;
    const coefficient = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
    let previous = 0;
    let beforePrevious = 0;
    for (let i = 0; i < n; i += 1) {
      const current = this.window[i] * this.weights[i] + coefficient * previous - beforePrevious;
      beforePrevious = previous;
      previous = current;
    }
    const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
    return (2 * Math.sqrt(Math.max(power, 0))) / this.weightSum;
  }
}
registerProcessor('ear', Ear);
`;

/**
 * Gives the page an ear for `frequencies`: everything the page receives (every remote audio track, mixed) goes
 * through the worklet above, and the page keeps each change of the heard set with its time (Date.now(), shared by
 * every page on the machine). A tone counts as heard above an amplitude of 0.005 (-46 dBFS; each page sends 0.25).
 * The guards sit 200 Hz below the lowest tone and 300 Hz above the highest: a tone's leak through the Hann window is
 * below -50 dB there, far under the threshold, while a step's energy is well above it.
 */
export async function installEar(page: Page, frequencies: number[]): Promise<void> {
  const guards = [Math.min(...frequencies) - 200, Math.max(...frequencies) + 300];
  await page.evaluate(
    async (tones: number[], guards: number[], workletSource: string) => {
      type Remote = { consumerId: string; kind: string; track: MediaStreamTrack };
      const client = (window as unknown as { circle: { client: { remoteTracks: Map<string, Remote>; on(e: string, f: (r: Remote) => void): void } } }).circle.client;
      const context = (window as unknown as { toneContext?: AudioContext }).toneContext ?? new AudioContext();
      await context.audioWorklet.addModule(URL.createObjectURL(new Blob([workletSource], { type: 'text/javascript' })));
      const ear = new AudioWorkletNode(context, 'ear', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit', processorOptions: { tones, guards } });
      const changes: { at: number; heard: number[] }[] = [{ at: Date.now(), heard: [] }];
      const transientsAt: number[] = [];
      ear.port.onmessage = (event: MessageEvent<{ at: number; heard: number[] } | { at: number; transient: true }>) =>
        void ('transient' in event.data ? transientsAt.push(event.data.at) : changes.push(event.data));
      const sources = new Map<string, MediaStreamAudioSourceNode>();
      const add = (remote: Remote) => {
        if (remote.kind !== 'audio' || sources.has(remote.consumerId)) return;
        const source = context.createMediaStreamSource(new MediaStream([remote.track]));
        source.connect(ear);
        sources.set(remote.consumerId, source);
      };
      client.on('trackAdded', add);
      const removedAt: number[] = [];
      client.on('trackRemoved', (remote) => {
        removedAt.push(Date.now());
        sources.get(remote.consumerId)?.disconnect();
        sources.delete(remote.consumerId);
      });
      for (const remote of client.remoteTracks.values()) add(remote);
      Object.assign(window, { ear: { changes, removedAt, transientsAt } });
    },
    frequencies,
    guards,
    EAR_WORKLET,
  );
}

/** The tones the page hears now. */
export const heardTones = (page: Page): Promise<number[]> =>
  page.evaluate(() => (window as unknown as { ear: { changes: { heard: number[] }[] } }).ear.changes.at(-1)!.heard);

/** When the page first heard `hz` after `since` (ms since the epoch); undefined if it has not. */
export const heardAfter = (page: Page, hz: number, since: number): Promise<number | undefined> =>
  page.evaluate((tone, from) => (window as unknown as { ear: { changes: { at: number; heard: number[] }[] } }).ear.changes.find((c) => c.at > from && c.heard.includes(tone))?.at, hz, since);

/**
 * When the page began to hear exactly `expected` for good: the first change at or after `since` to exactly `expected`
 * after which it never again heard a tone outside `expected`; undefined if there is none. A voice of `expected`
 * dropping out for a moment afterwards (a busy machine's playout glitch) does not undo that moment; hearing anyone
 * it should not, does. A window in which the page hears `ownHz`, its own tone, which it is never sent, is a click the
 * guards missed, not hearing, and is passed over.
 */
export const settledOn = (page: Page, since: number, expected: number[], ownHz: number): Promise<number | undefined> =>
  page.evaluate(
    (from: number, wanted: number[], own: number) => {
      const { changes } = (window as unknown as { ear: { changes: { at: number; heard: number[] }[] } }).ear;
      let settled: number | undefined;
      for (const { at, heard } of changes) {
        if (at < from || heard.includes(own)) continue;
        if (heard.some((hz) => !wanted.includes(hz))) settled = undefined;
        else if (settled === undefined && heard.length === wanted.length) settled = at;
      }
      return settled;
    },
    since,
    expected,
    ownHz,
  );

/**
 * For a failing test to show, in ms after `since`: every change of what the page hears (on the audio thread), when
 * the page's main thread took each remote track away, and each window the ear set aside as a transient.
 */
export const changesSince = (
  page: Page,
  since: number,
): Promise<{ heard: [number, number[]][]; removed: number[]; transients: number[] }> =>
  page.evaluate((from: number) => {
    const { changes, removedAt, transientsAt } = (
      window as unknown as { ear: { changes: { at: number; heard: number[] }[]; removedAt: number[]; transientsAt: number[] } }
    ).ear;
    const after = (times: number[]) => times.filter((at) => at >= from).map((at) => at - from);
    return {
      heard: changes.filter((c) => c.at >= from).map((c): [number, number[]] => [c.at - from, c.heard]),
      removed: after(removedAt),
      transients: after(transientsAt),
    };
  }, since);
