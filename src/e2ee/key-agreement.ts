import { GROUP_CIRCLE, type KeyDeliveryMessage } from '../protocol/e2ee.js';
import { GroupKeys, type GroupMember, type MemberIdentity } from './group-keys.js';
import type { Bytes } from './sframe.js';

/** How a member reaches the delivery service: its two requests, rejecting on a refusal. */
export interface KeyAgreementPort {
  offer(circle: string, keyPackage: string): Promise<unknown>;
  commit(circle: string, epoch: number, commit: string, welcome: string | undefined): Promise<unknown>;
}

/** A circle as this member holds it after an epoch change: what its pages show and what its frames are sealed with. */
export interface CircleEpoch {
  circle: string;
  epoch: bigint;
  members: GroupMember[];
  ownLeaf: number;
  verificationCode: string;
  frameBaseKey: Bytes;
}

const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/**
 * A member's side of the circles' key agreement, driven by what the delivery service says (`KeyDeliveryMessage`),
 * one message at a time in the order sent: a commit applied out of order would fail. Runs in a page and in Node alike.
 */
export class KeyAgreement {
  private readonly circles = new Map<string, GroupKeys>();
  private queue: Promise<void> = Promise.resolve();
  private speaking = GROUP_CIRCLE;

  constructor(
    private readonly identity: MemberIdentity,
    private readonly port: KeyAgreementPort,
    private readonly events: {
      epoch(state: CircleEpoch): void;
      out(circle: string): void;
      failed(error: unknown): void;
      /** The member's frames are to be sealed for another circle from now on. */
      speakIn?(circle: string): void;
    },
  ) {}

  /**
   * The circle this member's frames are sealed for. Asked into a side room's circle, it speaks there at once: nothing
   * more is sealed with the group's keys (which the group outside holds) and nothing is sent until the side room's
   * keys are agreed. Told it is out of the circle it speaks in, it speaks in the group's again, with the keys it kept.
   */
  get speakingIn(): string {
    return this.speaking;
  }

  /** Takes the next message; handled after those before it. */
  handle(message: KeyDeliveryMessage): void {
    if (message.kind === 'offer' && message.circle !== GROUP_CIRCLE) this.speakIn(message.circle);
    if (message.kind === 'out' && message.circle === this.speaking) this.speakIn(GROUP_CIRCLE);
    this.queue = this.queue.then(() => this.process(message)).catch((error: unknown) => this.events.failed(error));
  }

  /**
   * An admitted seat's member that no one asked in (its page lost its keys, or a call took the seat's voice) asks in
   * itself: into the group's circle, and its side room's if the seat is in one.
   */
  askIn(sideRoomId: string | null): void {
    this.handle({ kind: 'offer', circle: GROUP_CIRCLE });
    if (sideRoomId !== null) this.handle({ kind: 'offer', circle: sideRoomId });
  }

  /** Resolves once every message taken so far is handled. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async process(message: KeyDeliveryMessage): Promise<void> {
    const { circle } = message;
    switch (message.kind) {
      case 'offer': {
        const keys = await GroupKeys.create(this.identity);
        this.circles.set(circle, keys);
        await this.port.offer(circle, toBase64(keys.offer()));
        return;
      }
      case 'start':
        await this.keysOf(circle).start(circle);
        return this.entered(circle);
      case 'change': {
        const keys = this.keysOf(circle);
        const add = message.add.map(({ participantId, keyPackage }) => ({ participantId, keyPackage: fromBase64(keyPackage) }));
        const out = await keys.commitChanges(add, message.remove);
        try {
          await this.port.commit(circle, message.epoch, toBase64(out.commit), out.welcome && toBase64(out.welcome));
        } catch {
          // Refused: another commit came first, this member was passed over for answering late, or the answer was
          // lost. Not a failure of the circle: the service says what comes next (the commit taken, or the change again).
          keys.discard();
          return;
        }
        keys.confirm();
        return this.entered(circle);
      }
      case 'commit':
        await this.keysOf(circle).apply(fromBase64(message.commit));
        return this.entered(circle);
      case 'welcome':
        await this.keysOf(circle).join(fromBase64(message.welcome));
        return this.entered(circle);
      case 'out':
        this.circles.delete(circle);
        return this.events.out(circle);
    }
  }

  private speakIn(circle: string): void {
    this.speaking = circle;
    this.events.speakIn?.(circle);
  }

  private keysOf(circle: string): GroupKeys {
    const keys = this.circles.get(circle);
    if (!keys) throw new Error(`no key package was offered for circle ${circle}`);
    return keys;
  }

  private async entered(circle: string): Promise<void> {
    const keys = this.keysOf(circle);
    this.events.epoch({
      circle,
      epoch: keys.epoch,
      members: keys.members(),
      ownLeaf: keys.leaf,
      verificationCode: await keys.verificationCode(),
      frameBaseKey: await keys.frameBaseKey(),
    });
  }
}
