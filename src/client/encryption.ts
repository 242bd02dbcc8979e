import { KeyAgreement, type CircleEpoch } from '../e2ee/key-agreement.js';
import type { GroupMember } from '../e2ee/group-keys.js';
import type { FrameStream } from '../e2ee/frame-keys.js';
import type { E2eeMode, KeyDeliveryMessage } from '../protocol/e2ee.js';
import type { JoinResult } from '../protocol/events.js';
import { GROUP_CIRCLE } from '../protocol/e2ee.js';
import type { FrameTransformOptions, FrameWorkerMessage, FrameWorkerReport, ReceivedFrames } from './e2ee-worker.js';
import { Emitter } from './emitter.js';
import type { RoomMirror } from './room-mirror.js';

/**
 * What a page shows of the circle it speaks in (the group's, or its side room's): who holds the keys (from the circle
 * itself) and the code to compare.
 */
export interface EncryptionState {
  /** `group`, or the id of the side room this page is in. */
  circle: string;
  epoch: bigint;
  members: GroupMember[];
  verificationCode: string;
}

/** Whether this browser can seal and open frames itself (encoded transforms in a worker). */
export const canEncrypt = (): boolean => typeof RTCRtpScriptTransform !== 'undefined';

type Protect = (end: RTCRtpSender | RTCRtpReceiver, options: FrameTransformOptions) => void;
/** Set only while a media transport's peer connection is made (`Encryption.protectWhile`). */
let protectingNew: Protect | undefined;
const protectedConnections = new WeakMap<RTCPeerConnection, Protect>();
let patched = false;

/**
 * The page's peer connections, made so that those made inside `protectWhile` put every RTP sender and receiver
 * through the encryption worker as it is created, before it is negotiated: Chromium lets frames pass around a
 * transform set on one already negotiated, in clear. A sender is made by `addTransceiver`; a receiver arrives with the
 * remote description (`track`). Other connections (the pre-session check's) are left as they are.
 */
function patchPeerConnections(): void {
  if (patched) return;
  patched = true;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      const protect = protectingNew;
      if (!protect) return;
      protectedConnections.set(this, protect);
      this.addEventListener('track', ({ receiver, track }) => protect(receiver, { side: 'receive', kind: track.kind as FrameStream }));
    }

    override addTransceiver(trackOrKind: MediaStreamTrack | string, init?: RTCRtpTransceiverInit): RTCRtpTransceiver {
      const transceiver = super.addTransceiver(trackOrKind, init);
      const protect = protectedConnections.get(this);
      const kind = (typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind) as FrameStream;
      if (protect && init?.direction !== 'recvonly') protect(transceiver.sender, { side: 'send', kind });
      return transceiver;
    }
  };
}

/** The encryption worker, once it says it runs; a refusal naming the URL if it does not within 10 s. */
function startWorker(url: string): Promise<Worker> {
  const worker = new Worker(url, { type: 'module' });
  return new Promise((resolve, reject) => {
    const fail = () => {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(`This session is end-to-end encrypted, and its encryption worker (${url}) could not start.`));
    };
    const timer = setTimeout(fail, 10_000);
    worker.addEventListener('error', fail, { once: true });
    worker.addEventListener('message', ({ data }: MessageEvent<FrameWorkerReport>) => data.type === 'ready' && (clearTimeout(timer), resolve(worker)), { once: true });
  });
}

/**
 * The page's end-to-end encryption: its side of the key agreement (on the page's thread) and the worker that seals
 * every frame it sends and opens every frame it receives. The key agreement's messages can arrive before the join
 * answers with who this seat is: they wait for it. Keys go to the worker only; the page keeps the group's state.
 */
export class Encryption extends Emitter<{ changed: [EncryptionState | null]; error: [Error] }> {
  private agreement: KeyAgreement | undefined;
  private readonly early: KeyDeliveryMessage[] = [];
  private worker: Worker | undefined;
  private readonly circles = new Map<string, EncryptionState>();
  /** The circle this page speaks in, once it holds its keys. */
  state: EncryptionState | null = null;
  mode: E2eeMode = 'off';
  /** The admitted whose browsers cannot encrypt, as the room last said (a `preferred` session lets them in). */
  unencrypted: string[] = [];
  private toldInClear = false;
  /** What this page received that no key of its opened, and what it opened only after waiting for an epoch's keys. */
  received: ReceivedFrames = { unopened: 0, late: 0 };

  constructor(mirror: RoomMirror) {
    super();
    mirror.on('room', (room) => {
      if (room.unencrypted.join() === this.unencrypted.join()) return;
      this.unencrypted = room.unencrypted;
      this.tellInClear();
      this.emit('changed', this.state);
    });
  }

  /**
   * Whether the media goes in clear now: a `preferred` session with someone in whose browser cannot encrypt, so that
   * they hear and are heard. A `required` session never does, whatever the room says.
   */
  get inClear(): boolean {
    return this.mode === 'preferred' && this.unencrypted.length > 0;
  }

  /**
   * The join's (or resume's) answer: the session's mode and who this seat is; messages that came before it are
   * handled now. An admitted seat the server did not ask in is one whose page lost its keys (a reload into the seat):
   * it asks back in. The worker is loaded from `workerUrl` (the web app serves it as `e2ee-worker.js`).
   */
  async seated(joined: JoinResult, workerUrl: string, request: (name: 'e2eeOffer' | 'e2eeCommit', payload: Record<string, unknown>) => Promise<unknown>): Promise<void> {
    this.mode = joined.e2ee;
    if (joined.e2ee === 'off' || !canEncrypt()) return;
    if (!this.agreement) {
      // Nothing is sent before the worker runs: a transform whose worker never started could let frames by unsealed.
      const worker = await startWorker(workerUrl);
      this.worker = worker;
      worker.addEventListener('message', ({ data }: MessageEvent<FrameWorkerReport>) => {
        if (data.type === 'frames') this.received = { unopened: data.unopened, late: data.late };
      });
      this.tellInClear();
      patchPeerConnections();
      const identity = { participantId: joined.participantId, role: joined.role, displayName: joined.displayName };
      this.agreement = new KeyAgreement(
        identity,
        {
          offer: (circle, keyPackage) => request('e2eeOffer', { circle, keyPackage }),
          commit: (circle, epoch, commit, welcome) => request('e2eeCommit', { circle, epoch, commit, ...(welcome ? { welcome } : {}) }),
        },
        {
          epoch: (state) => this.entered(state),
          out: (circle) => this.left(circle),
          failed: (error) => this.emit('error', error as Error),
          speakIn: (circle) => this.speakIn(circle),
        },
      );
    }
    const asked = this.early.length > 0;
    for (const message of this.early.splice(0)) this.agreement.handle(message);
    if (joined.admitted && !asked && !this.state) this.agreement.askIn(joined.self.sideRoomId);
  }

  handle(message: KeyDeliveryMessage): void {
    if (this.agreement) this.agreement.handle(message);
    else this.early.push(message);
  }

  /** The circle this page's frames are sealed for: the group's, or its side room's once the server asks it in. */
  private get speakingIn(): string {
    return this.agreement?.speakingIn ?? GROUP_CIRCLE;
  }

  /** From now on the worker seals for `circle`, and the page shows who holds its keys. */
  private speakIn(circle: string): void {
    this.post({ type: 'speakIn', circle });
    this.showSpeakingCircle();
  }

  /** Runs `create`, which makes a media transport's peer connection: with encryption on, its frames go through the worker. */
  readonly protectWhile = <T>(create: () => T): T => {
    const worker = this.worker;
    if (!worker) return create();
    protectingNew = (end, options) => (end.transform = new RTCRtpScriptTransform(worker, options));
    try {
      return create();
    } finally {
      protectingNew = undefined;
    }
  };

  /** Whether this page seals and opens its frames (the session is encrypted and this browser can). */
  get active(): boolean {
    return this.worker !== undefined;
  }

  private entered(state: CircleEpoch): void {
    const { circle } = state;
    this.post({ type: 'epoch', circle, epoch: state.epoch, baseKey: state.frameBaseKey, ownLeaf: state.ownLeaf, leaves: state.members.map((m) => m.leaf) });
    this.circles.set(circle, { circle, epoch: state.epoch, members: state.members, verificationCode: state.verificationCode });
    if (circle === this.speakingIn) this.showSpeakingCircle();
  }

  private left(circle: string): void {
    this.post({ type: 'clear', circle });
    this.circles.delete(circle);
    if (circle === this.speakingIn) this.showSpeakingCircle();
  }

  private showSpeakingCircle(): void {
    this.state = this.circles.get(this.speakingIn) ?? null;
    this.emit('changed', this.state);
  }

  private tellInClear(): void {
    if (!this.worker || this.inClear === this.toldInClear) return;
    this.toldInClear = this.inClear;
    this.post({ type: 'inClear', inClear: this.inClear });
  }

  private post(message: FrameWorkerMessage): void {
    this.worker?.postMessage(message);
  }
}
