/**
 * SFrame (RFC 9605) with the cipher suite AES_128_GCM_SHA256_128 (0x0004), on the Web Crypto API alone, so the same
 * code runs in a browser's encoded-transform worker and in Node. A frame is sealed as `header || AEAD(frame)`, the
 * header (key id and counter, §4.3) authenticated with whatever metadata the caller keeps in clear beside it.
 *
 * Key ids and counters are 64-bit: bigint here. A sender never uses a counter twice under one key (the nonce would
 * repeat); `FrameSealer` owns its counter for that reason.
 */

/** Bytes in memory of their own (Web Crypto takes no shared buffers). */
export type Bytes = Uint8Array<ArrayBuffer>;

export const CIPHER_SUITE = 0x0004;
const KEY_BYTES = 16; // AEAD.Nk
const NONCE_BYTES = 12; // AEAD.Nn
const TAG_BITS = 128; // AEAD.Nt × 8
const MAX_U64 = (1n << 64n) - 1n;

export class SFrameError extends Error {
  constructor(
    readonly reason: 'malformed' | 'unknown-key' | 'unauthentic',
    message: string,
  ) {
    super(message);
  }
}

/** A value's big-endian bytes, as few as it takes (at least one). */
function minimalBytes(value: bigint): Bytes {
  const bytes: number[] = [];
  for (let rest = value; bytes.length === 0 || rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
  return Uint8Array.from(bytes);
}

function bigEndian(value: bigint, length: number): Bytes {
  const bytes = new Uint8Array(length);
  for (let i = length - 1, rest = value; i >= 0; i -= 1, rest >>= 8n) bytes[i] = Number(rest & 0xffn);
  return bytes;
}

function readBigEndian(bytes: Bytes): bigint {
  return bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

/**
 * The header of §4.3: a config byte `X KKK Y CCC`, then the key id and the counter when either is 8 or more (in
 * `KKK + 1` and `CCC + 1` bytes); below 8 each fits in its three bits.
 */
export function encodeHeader(kid: bigint, ctr: bigint): Bytes {
  if (kid < 0n || kid > MAX_U64 || ctr < 0n || ctr > MAX_U64) throw new RangeError('key id and counter are 64-bit unsigned');
  const kidBytes = kid < 8n ? undefined : minimalBytes(kid);
  const ctrBytes = ctr < 8n ? undefined : minimalBytes(ctr);
  const config =
    (kidBytes ? 0x80 | ((kidBytes.length - 1) << 4) : Number(kid) << 4) | (ctrBytes ? 0x08 | (ctrBytes.length - 1) : Number(ctr));
  return Uint8Array.from([config, ...(kidBytes ?? []), ...(ctrBytes ?? [])]);
}

export function decodeHeader(data: Bytes): { kid: bigint; ctr: bigint; length: number } {
  if (data.length < 1) throw new SFrameError('malformed', 'no SFrame header');
  const config = data[0]!;
  let at = 1;
  const field = (extended: boolean, low: number): bigint => {
    if (!extended) return BigInt(low);
    const end = at + low + 1;
    if (end > data.length) throw new SFrameError('malformed', 'SFrame header cut short');
    const value = readBigEndian(data.subarray(at, end));
    at = end;
    return value;
  };
  const kid = field((config & 0x80) !== 0, (config >> 4) & 0x07);
  const ctr = field((config & 0x08) !== 0, config & 0x07);
  return { kid, ctr, length: at };
}

/**
 * The AEAD of SFrame's cipher suite (AES-128-GCM with a 16-byte tag) under one key. WebCrypto's is the one every page
 * and Node have; a server that opens and seals many frames may bring a faster implementation of the same algorithm.
 */
export interface FrameAead {
  seal(iv: Bytes, aad: Bytes, plaintext: Bytes): Promise<Bytes>;
  /** Throws when the ciphertext was not sealed under this key with this nonce and `aad`. */
  open(iv: Bytes, aad: Bytes, ciphertext: Bytes): Promise<Bytes>;
}

/** An AEAD for a key's raw bytes. */
export type FrameAeadOf = (keyBytes: Bytes) => Promise<FrameAead>;

export const webCryptoAead: FrameAeadOf = async (keyBytes) => {
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', keyBytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const params = (iv: Bytes, additionalData: Bytes): AesGcmParams => ({ name: 'AES-GCM', iv, additionalData, tagLength: TAG_BITS });
  return {
    seal: async (iv, aad, plaintext) => new Uint8Array(await subtle.encrypt(params(iv, aad), key, plaintext)),
    open: async (iv, aad, ciphertext) => new Uint8Array(await subtle.decrypt(params(iv, aad), key, ciphertext)),
  };
};

/** The AEAD key and salt of one key id, derived from its base key (§4.4.2). */
export class SFrameKey {
  private constructor(
    readonly kid: bigint,
    private readonly aead: FrameAead,
    private readonly salt: Bytes,
  ) {}

  static async derive(baseKey: Bytes, kid: bigint, aeadOf: FrameAeadOf = webCryptoAead): Promise<SFrameKey> {
    const subtle = globalThis.crypto.subtle;
    const secret = await subtle.importKey('raw', baseKey, 'HKDF', false, ['deriveBits']);
    const suffix = [...bigEndian(kid, 8), ...bigEndian(BigInt(CIPHER_SUITE), 2)];
    const expand = async (label: string, bytes: number) =>
      new Uint8Array(
        await subtle.deriveBits(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: Uint8Array.from([...new TextEncoder().encode(label), ...suffix]) },
          secret,
          bytes * 8,
        ),
      );
    const keyBytes = await expand('SFrame 1.0 Secret key ', KEY_BYTES);
    const salt = await expand('SFrame 1.0 Secret salt ', NONCE_BYTES);
    return new SFrameKey(kid, await aeadOf(keyBytes), salt);
  }

  /** `header || ciphertext` of one frame; `metadata` is authenticated, not sent (the caller keeps it beside). */
  async seal(ctr: bigint, metadata: Bytes, plaintext: Bytes): Promise<Bytes> {
    const header = encodeHeader(this.kid, ctr);
    const ciphertext = await this.aead.seal(this.nonce(ctr), this.aad(header, metadata), plaintext);
    const sealed = new Uint8Array(header.length + ciphertext.byteLength);
    sealed.set(header);
    sealed.set(ciphertext, header.length);
    return sealed;
  }

  /** The plaintext of a frame sealed under this key; throws `unauthentic` when it was not, or was altered. */
  async open(ctr: bigint, header: Bytes, metadata: Bytes, ciphertext: Bytes): Promise<Bytes> {
    try {
      return await this.aead.open(this.nonce(ctr), this.aad(header, metadata), ciphertext);
    } catch {
      throw new SFrameError('unauthentic', 'frame not sealed under this key');
    }
  }

  private nonce(ctr: bigint): Bytes {
    const counter = bigEndian(ctr, NONCE_BYTES);
    return this.salt.map((byte, i) => byte ^ counter[i]!);
  }

  private aad(header: Bytes, metadata: Bytes): Bytes {
    const additionalData = new Uint8Array(header.length + metadata.length);
    additionalData.set(header);
    additionalData.set(metadata, header.length);
    return additionalData;
  }
}

/** One sender's frames under one key: a counter that only goes up, so no nonce is ever used twice. */
export class FrameSealer {
  private counter = 0n;

  constructor(readonly key: SFrameKey) {}

  seal(metadata: Bytes, plaintext: Bytes): Promise<Bytes> {
    if (this.counter > MAX_U64) throw new RangeError('counter exhausted: a new key is needed');
    const ctr = this.counter;
    this.counter += 1n;
    return this.key.seal(ctr, metadata, plaintext);
  }
}

/** Opens a sealed frame with whichever of `keys` its header names. */
export async function openFrame(keys: (kid: bigint) => SFrameKey | undefined, metadata: Bytes, sealed: Bytes): Promise<Bytes> {
  const { kid, ctr, length } = decodeHeader(sealed);
  const key = keys(kid);
  if (!key) throw new SFrameError('unknown-key', 'no key for this frame');
  return key.open(ctr, sealed.subarray(0, length), metadata, sealed.subarray(length));
}
