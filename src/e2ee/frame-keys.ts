import { FrameSealer, SFrameKey, webCryptoAead, type Bytes, type FrameAeadOf } from './sframe.js';

/**
 * The SFrame keys of a circle's epochs (RFC 9605 §5.2). Each epoch's base key comes from MLS; each sender's key id
 * carries the epoch's low 8 bits, the sender's leaf index above them, and above that which of its streams it is:
 * every (sender, stream) pair has a key and salt of its own, so two counters never share a nonce.
 */
export type FrameStream = 'audio' | 'video';
const EPOCH_BITS = 8n;
const EPOCH_MASK = (1n << EPOCH_BITS) - 1n;
const LEAF_BITS = 8n;
const STREAM_CONTEXT: Record<FrameStream, bigint> = { audio: 0n, video: 1n };
/** Epochs a receiver keeps: the current one and the one before, for frames already on their way at a change. */
const EPOCHS_KEPT = 2;

export function frameKid(epoch: bigint, leaf: number, stream: FrameStream): bigint {
  return (STREAM_CONTEXT[stream] << (LEAF_BITS + EPOCH_BITS)) | (BigInt(leaf) << EPOCH_BITS) | (epoch & EPOCH_MASK);
}

interface EpochKeys {
  epoch: bigint;
  keys: Map<bigint, SFrameKey>;
  sealers: Map<FrameStream, FrameSealer>;
}

export class FrameKeyRing {
  private epochs: EpochKeys[] = [];

  /** `aeadOf`: the AEAD implementation its keys use (WebCrypto's unless a server brings its own). */
  constructor(private readonly aeadOf: FrameAeadOf = webCryptoAead) {}

  /** A new epoch: keys for every member's streams, and this member's sealers; the oldest epoch beyond two goes. */
  async enter(epoch: bigint, baseKey: Bytes, ownLeaf: number, leaves: number[]): Promise<void> {
    const keys = new Map<bigint, SFrameKey>();
    for (const leaf of leaves) {
      for (const stream of Object.keys(STREAM_CONTEXT) as FrameStream[]) {
        const kid = frameKid(epoch, leaf, stream);
        keys.set(kid, await SFrameKey.derive(baseKey, kid, this.aeadOf));
      }
    }
    const sealers = new Map<FrameStream, FrameSealer>();
    for (const stream of Object.keys(STREAM_CONTEXT) as FrameStream[]) {
      const own = keys.get(frameKid(epoch, ownLeaf, stream));
      if (!own) throw new RangeError('this member is not among the leaves');
      sealers.set(stream, new FrameSealer(own));
    }
    // An epoch whose low bits this one reuses must not open frames that name those bits.
    const sameBits = (other: bigint) => (other & EPOCH_MASK) === (epoch & EPOCH_MASK);
    this.epochs = [{ epoch, keys, sealers }, ...this.epochs.filter((kept) => !sameBits(kept.epoch))].slice(0, EPOCHS_KEPT);
  }

  get epoch(): bigint | undefined {
    return this.epochs[0]?.epoch;
  }

  /** Whether a frame's key id names the epoch after this ring's current one: its keys are on their way. */
  namesNextEpoch(kid: bigint): boolean {
    const current = this.epoch;
    return current !== undefined && (kid & EPOCH_MASK) === ((current + 1n) & EPOCH_MASK);
  }

  /** This member's sealer for a stream, in the current epoch. */
  sealer(stream: FrameStream): FrameSealer | undefined {
    return this.epochs[0]?.sealers.get(stream);
  }

  /** The key a frame's key id names, while its epoch is kept. */
  readonly keyFor = (kid: bigint): SFrameKey | undefined => {
    for (const kept of this.epochs) {
      const key = kept.keys.get(kid);
      if (key) return key;
    }
    return undefined;
  };
}
