import { FrameKeyRing } from '../e2ee/frame-keys.js';
import { KeyAgreement, type CircleEpoch, type KeyAgreementPort } from '../e2ee/key-agreement.js';
import type { MemberIdentity } from '../e2ee/group-keys.js';
import { openMediaFrame, sealMediaFrame } from '../e2ee/media-frames.js';
import { NextEpochHold } from '../e2ee/next-epoch-hold.js';
import type { Bytes } from '../e2ee/sframe.js';
import { nodeFrameAead } from './node-frame-aead.js';
import { callMemberId, type KeyDeliveryMessage } from '../protocol/e2ee.js';

/**
 * The bridge as a member of an encrypted session's circles for one caller's seat: the seat's phone, a member of its
 * own beside the seat's page (if any), its credential saying so on every page. It agrees keys as a page does, seals
 * each frame of the caller's voice for the circle the seat speaks in (the group's, or its side room's), and opens the
 * frames of the voices the caller hears. The frames are G.711 as the phone network carries them, sealed in the
 * shape of a page's Opus (the first byte in clear, where Opus has its TOC byte): pages open them as any voice. What
 * the caller says and hears is in clear on this server, and nowhere else outside the circle.
 */
export class CallKeys {
  private readonly agreement: KeyAgreement;
  private readonly rings = new Map<string, FrameKeyRing>();
  /** New epochs' keys are derived between frames, never under one. */
  private entering: Promise<void> = Promise.resolve();
  private readonly hold = new NextEpochHold(() => this.rings.values());
  private asked = false;
  /** A `preferred` session with a browser in that cannot encrypt: frames go as they are, as the pages' do. */
  private clear: boolean;

  constructor(seat: MemberIdentity, port: KeyAgreementPort, inClear: boolean, failed: (error: unknown) => void) {
    const identity: MemberIdentity = { participantId: callMemberId(seat.participantId), role: seat.role, displayName: seat.displayName, phone: true };
    this.clear = inClear;
    this.agreement = new KeyAgreement(identity, port, { epoch: (state) => this.entered(state), out: (circle) => this.rings.delete(circle), failed });
  }

  /** What the delivery service says to the seat's phone member, in order. */
  handle(message: KeyDeliveryMessage): void {
    this.asked = true;
    this.agreement.handle(message);
  }

  /**
   * The call carries the seat's voice. A phone member the circles already had (a call that dropped and called back
   * within the grace) is not asked in again: this call offers itself, and the circles replace the old one's leaf.
   */
  seated(sideRoomId: string | null): void {
    if (this.asked) return;
    this.asked = true;
    this.agreement.askIn(sideRoomId);
  }

  set inClear(clear: boolean) {
    this.clear = clear;
  }

  /** A frame of the caller's voice for the circle it speaks in; undefined while it holds no keys there (not sent). */
  async seal(frame: Bytes): Promise<Bytes | undefined> {
    if (this.clear) return frame;
    await this.entering;
    const sealer = this.rings.get(this.agreement.speakingIn)?.sealer('audio');
    return sealer && sealMediaFrame(sealer, 'opus', frame);
  }

  /** A voice's frame heard in `circle`, opened; undefined if it does not open with keys this member holds. */
  async open(circle: string, frame: Bytes): Promise<Bytes | undefined> {
    const openNow = async () => {
      await this.entering;
      const ring = this.rings.get(circle);
      if (!ring) throw new Error('no keys for this circle');
      return openMediaFrame(ring.keyFor, 'opus', frame);
    };
    try {
      return this.clear ? await openNow() : (await this.hold.open('opus', frame, openNow)).frame;
    } catch {
      // Sealed with keys this member does not hold, or not sealed: taken as it came only in the clear.
      return this.clear ? frame : undefined;
    }
  }

  private entered(state: CircleEpoch): void {
    let ring = this.rings.get(state.circle);
    if (!ring) {
      ring = new FrameKeyRing(nodeFrameAead);
      this.rings.set(state.circle, ring);
    }
    const entering = ring;
    this.entering = this.entering.then(async () => {
      await entering.enter(state.epoch, state.frameBaseKey, state.ownLeaf, state.members.map((member) => member.leaf));
      this.hold.epochEntered();
    });
  }
}
