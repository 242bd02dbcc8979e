// The page's encoded-transform worker (RTCRtpScriptTransform): every audio and video frame this page sends is sealed
// with SFrame before packetisation, and every frame it receives is opened, with the keys of the circle's current
// epoch (and the one before, for frames on their way). The page speaks in one circle at a time (the group's, or its
// side room's) and seals for it alone; it opens with the keys of any circle it is in. A frame that cannot be sealed (no
// keys yet) is not sent and one that cannot be opened (a key this member does not hold) is dropped: nothing goes out in
// clear. A frame naming the epoch about to enter here is held for its keys a moment first (below). Except in the
// clear: a `preferred` session with someone in it whose browser cannot encrypt (every page says so, naming them),
// where frames go out as they are and those that do not open are taken as they came.
import { FrameKeyRing, type FrameStream } from '../e2ee/frame-keys.js';
import { openMediaFrame, sealMediaFrame, type FrameCodec } from '../e2ee/media-frames.js';
import { NextEpochHold } from '../e2ee/next-epoch-hold.js';
import type { Bytes } from '../e2ee/sframe.js';
import { GROUP_CIRCLE } from '../protocol/e2ee.js';

/** What the page posts to this worker: a circle's new epoch keys, that a circle is left, or which circle it speaks in. */
export type FrameWorkerMessage =
  | { type: 'epoch'; circle: string; epoch: bigint; baseKey: Bytes; ownLeaf: number; leaves: number[] }
  | { type: 'clear'; circle: string }
  | { type: 'speakIn'; circle: string }
  | { type: 'inClear'; inClear: boolean };

/** What this worker tells the page: that it runs, and (at most once a second, when they change) its receiving counts. */
export type FrameWorkerReport = { type: 'ready' } | ({ type: 'frames' } & ReceivedFrames);

/** Since the page began: frames received that no key of this page opened (dropped), and those opened after waiting. */
export interface ReceivedFrames {
  unopened: number;
  late: number;
}

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
  postMessage(message: FrameWorkerReport): void;
};

const REPORT_EVERY_MS = 1000;

const rings = new Map<string, FrameKeyRing>();
let speakingIn = GROUP_CIRCLE;
let inClear = false;
// Frames are sealed in order; a new epoch's keys arrive between frames, never under one.
let entering: Promise<void> = Promise.resolve();
const hold = new NextEpochHold(() => rings.values());
const received: ReceivedFrames = { unopened: 0, late: 0 };
scope.onmessage = ({ data }) => {
  if (data.type === 'inClear') inClear = data.inClear;
  else if (data.type === 'speakIn') speakingIn = data.circle;
  else if (data.type === 'clear') entering = entering.then(() => void rings.delete(data.circle));
  else {
    entering = entering.then(async () => {
      const ring = rings.get(data.circle) ?? new FrameKeyRing();
      rings.set(data.circle, ring);
      await ring.enter(data.epoch, data.baseKey, data.ownLeaf, data.leaves);
      hold.epochEntered();
    });
  }
};

/** Opened with the keys of the circle spoken in, else of another this page is in (a key id names no circle). */
async function open(codec: FrameCodec, data: Bytes): Promise<Bytes> {
  const tried = [rings.get(speakingIn), ...[...rings].filter(([circle]) => circle !== speakingIn).map(([, ring]) => ring)];
  for (const ring of tried) {
    if (!ring) continue;
    try {
      return await openMediaFrame(ring.keyFor, codec, data);
    } catch {
      // Not this circle's: the next.
    }
  }
  throw new Error('no circle of this page opens the frame');
}

/** Opened now, or held for the next epoch's keys if it names them; in the clear, as it is when it does not open. */
async function openReceived(codec: FrameCodec, data: Bytes): Promise<Bytes> {
  if (inClear) return open(codec, data);
  const { frame, late } = await hold.open(codec, data, async () => {
    await entering;
    return open(codec, data);
  });
  if (late) received.late += 1;
  return frame;
}

let reported = { ...received };
setInterval(() => {
  if (received.unopened === reported.unopened && received.late === reported.late) return;
  reported = { ...received };
  scope.postMessage({ type: 'frames', ...reported });
}, REPORT_EVERY_MS);

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
          const sealer = rings.get(speakingIn)?.sealer(kind);
          if (!sealer) return;
          frame.data = (await sealMediaFrame(sealer, codec, data)).buffer;
        } else {
          frame.data = (await openReceived(codec, data)).buffer;
        }
        controller.enqueue(frame);
      } catch {
        // Not sealed, or not ours to open: the frame goes no further, unless the session is in the clear.
        if (inClear) controller.enqueue(frame);
        else if (side === 'receive') received.unopened += 1;
      }
    },
  });
  void transformer.readable.pipeThrough(transform).pipeTo(transformer.writable);
};
// The page sends nothing until it hears this.
scope.postMessage({ type: 'ready' });
