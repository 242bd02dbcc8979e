// The page's encoded-transform worker (RTCRtpScriptTransform): every audio and video frame this page sends is sealed
// with SFrame before packetisation, and every frame it receives is opened, with the keys of the circle's current
// epoch (and the one before, for frames on their way). A frame that cannot be sealed (no keys yet) is not sent and
// one that cannot be opened (a key this member does not hold) is dropped: nothing goes out in clear. Except in the
// clear: a `preferred` session with someone in it whose browser cannot encrypt (every page says so, naming them),
// where frames go out as they are and those that do not open are taken as they came.
import { FrameKeyRing, type FrameStream } from '../e2ee/frame-keys.js';
import { openMediaFrame, sealMediaFrame, type FrameCodec } from '../e2ee/media-frames.js';
import type { Bytes } from '../e2ee/sframe.js';

/** What the page posts to this worker: a new epoch's keys, or that the circle is left. */
export type FrameWorkerMessage =
  | { type: 'epoch'; epoch: bigint; baseKey: Bytes; ownLeaf: number; leaves: number[] }
  | { type: 'clear' }
  | { type: 'inClear'; inClear: boolean };

/** The options each transform is made with. */
export interface FrameTransformOptions {
  side: 'send' | 'receive';
  kind: FrameStream;
}

type EncodedFrame = RTCEncodedAudioFrame | RTCEncodedVideoFrame;
interface TransformEvent extends Event {
  transformer: { readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame>; options: FrameTransformOptions };
}
const scope = globalThis as unknown as {
  onrtctransform: ((event: TransformEvent) => void) | null;
  onmessage: ((event: MessageEvent<FrameWorkerMessage>) => void) | null;
  postMessage(message: { type: 'ready' }): void;
};

const ring = new FrameKeyRing();
let inClear = false;
// Frames are sealed in order; a new epoch's keys arrive between frames, never under one.
let entering: Promise<void> = Promise.resolve();
scope.onmessage = ({ data }) => {
  if (data.type === 'inClear') inClear = data.inClear;
  else entering = entering.then(() => (data.type === 'epoch' ? ring.enter(data.epoch, data.baseKey, data.ownLeaf, data.leaves) : ring.clear()));
};

const CODEC: Record<FrameStream, FrameCodec> = { audio: 'opus', video: 'vp8' };

scope.onrtctransform = ({ transformer }) => {
  const { side, kind } = transformer.options;
  const codec = CODEC[kind];
  const transform = new TransformStream<EncodedFrame, EncodedFrame>({
    async transform(frame, controller) {
      await entering;
      const data = new Uint8Array(frame.data) as Bytes;
      try {
        if (side === 'send') {
          if (inClear) return controller.enqueue(frame);
          const sealer = ring.sealer(kind);
          if (!sealer) return;
          frame.data = (await sealMediaFrame(sealer, codec, data)).buffer;
        } else {
          frame.data = (await openMediaFrame(ring.keyFor, codec, data)).buffer;
        }
        controller.enqueue(frame);
      } catch {
        // Not sealed, or not ours to open: the frame goes no further, unless the session is in the clear.
        if (inClear) controller.enqueue(frame);
      }
    },
  });
  void transformer.readable.pipeThrough(transform).pipeTo(transformer.writable);
};
// The page sends nothing until it hears this.
scope.postMessage({ type: 'ready' });
