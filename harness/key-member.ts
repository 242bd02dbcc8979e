import { FrameKeyRing, type FrameStream } from '../src/e2ee/frame-keys.js';
import { sealMediaFrame } from '../src/e2ee/media-frames.js';
import type { Bytes } from '../src/e2ee/sframe.js';
import { KeyAgreement, type CircleEpoch } from '../src/e2ee/key-agreement.js';
import type { MemberIdentity } from '../src/e2ee/group-keys.js';
import type { KeyDeliveryMessage } from '../src/protocol/e2ee.js';
import { GROUP_CIRCLE } from '../src/protocol/e2ee.js';
import type { TestClient } from './signaling.js';

/**
 * A member of an encrypted session's circles in Node, as a page is: it takes part in the key agreement over its
 * connection (which a resume can replace) and keeps every epoch it entered, per circle, for the test to seal and open
 * frames with; it seals its own frames for the group with the current epoch's keys, as a page's worker does.
 */
export class KeyMember {
  readonly epochs: CircleEpoch[] = [];
  readonly messages: KeyDeliveryMessage[] = [];
  readonly failures: unknown[] = [];
  private readonly agreement: KeyAgreement;
  private readonly current = new FrameKeyRing();
  private entering: Promise<void> = Promise.resolve();

  constructor(
    readonly identity: MemberIdentity,
    private client: TestClient,
  ) {
    this.agreement = new KeyAgreement(
      identity,
      {
        offer: (circle, keyPackage) => this.client.ok('e2eeOffer', { circle, keyPackage }),
        commit: (circle, epoch, commit, welcome) => this.client.ok('e2eeCommit', { circle, epoch, commit, ...(welcome ? { welcome } : {}) }),
      },
      { epoch: (state) => this.entered(state), out: () => undefined, failed: (error) => this.failures.push(error) },
    );
    this.listenOn(client);
  }

  /** The connection the member now speaks through (a resume, on this node or another). */
  reconnected(client: TestClient): void {
    this.client = client;
    this.listenOn(client);
  }

  /** The last epoch this member entered in `circle`. */
  latest(circle = GROUP_CIRCLE): CircleEpoch | undefined {
    return this.epochs.filter((state) => state.circle === circle).at(-1);
  }

  /** The frame keys of the last epoch it entered in `circle`, as its page's worker would hold them. */
  async ring(circle = GROUP_CIRCLE): Promise<FrameKeyRing> {
    const state = this.latest(circle);
    if (!state) throw new Error(`${this.identity.displayName} is in no epoch of ${circle}`);
    const ring = new FrameKeyRing();
    await ring.enter(state.epoch, state.frameBaseKey, state.ownLeaf, state.members.map((m) => m.leaf));
    return ring;
  }

  /** `frame` sealed for the group with this member's current keys; undefined before it holds any (not sent). */
  readonly seal = async (stream: FrameStream, frame: Buffer): Promise<Buffer | undefined> => {
    await this.entering;
    const sealer = this.current.sealer(stream);
    return sealer && Buffer.from(await sealMediaFrame(sealer, stream === 'audio' ? 'opus' : 'vp8', frame as Uint8Array as Bytes));
  };

  private entered(state: CircleEpoch): void {
    this.epochs.push(state);
    if (state.circle !== GROUP_CIRCLE) return;
    this.entering = this.entering.then(() => this.current.enter(state.epoch, state.frameBaseKey, state.ownLeaf, state.members.map((m) => m.leaf)));
  }

  private listenOn(client: TestClient): void {
    client.socket.on('e2ee', (message: KeyDeliveryMessage) => {
      this.messages.push(message);
      this.agreement.handle(message);
    });
  }
}
