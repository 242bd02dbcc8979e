import { expect, it } from 'vitest';
import { decodeHeader, encodeHeader, FrameSealer, openFrame, SFrameError, SFrameKey, webCryptoAead } from '../../src/e2ee/sframe.js';
import { nodeFrameAead } from '../../src/phone/node-frame-aead.js';

const hex = (text: string) => Uint8Array.from(text.replace(/\s+/g, '').match(/../g)!.map((byte) => parseInt(byte, 16)));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// RFC 9605, Appendix C.1 (a sample: each key id and counter length, both ends of each).
const HEADERS: [bigint, bigint, string][] = [
  [0x0000000000000000n, 0x0000000000000000n, '00'],
  [0x0000000000000000n, 0x0000000100000000n, '0c0100000000'],
  [0x0000000000000001n, 0x0000000000000001n, '11'],
  [0x0000000000000001n, 0x000000ffffffffffn, '1cffffffffff'],
  [0x00000000000000ffn, 0x00000000000000ffn, '88ffff'],
  [0x00000000000000ffn, 0x0000010000000000n, '8dff010000000000'],
  [0x0000000000000100n, 0x0000000000000100n, '9901000100'],
  [0x0000000000000100n, 0x0000ffffffffffffn, '9d0100ffffffffffff'],
  [0x000000000000ffffn, 0x000000000000ffffn, '99ffffffff'],
  [0x000000000000ffffn, 0x0001000000000000n, '9effff01000000000000'],
  [0x0000000000010000n, 0x0000000000010000n, 'aa010000010000'],
  [0x0000000000010000n, 0x00ffffffffffffffn, 'ae010000ffffffffffffff'],
  [0x0000000000ffffffn, 0x0000000000ffffffn, 'aaffffffffffff'],
  [0x0000000000ffffffn, 0x0100000000000000n, 'afffffff0100000000000000'],
  [0x0000000001000000n, 0x0000000001000000n, 'bb0100000001000000'],
  [0x0000000001000000n, 0xffffffffffffffffn, 'bf01000000ffffffffffffffff'],
  [0x00000000ffffffffn, 0x00000000ffffffffn, 'bbffffffffffffffff'],
  [0x0000000100000000n, 0x0000000000000000n, 'c00100000000'],
  [0x0000000100000000n, 0x0000000100000000n, 'cc01000000000100000000'],
  [0x000000ffffffffffn, 0x0000000000000001n, 'c1ffffffffff'],
];

it('encodes and decodes the SFrame header as RFC 9605 gives it', () => {
  for (const [kid, ctr, header] of HEADERS) {
    expect(toHex(encodeHeader(kid, ctr))).toBe(header);
    expect(decodeHeader(hex(`${header}00ff`))).toEqual({ kid, ctr, length: header.length / 2 });
  }
  expect(() => decodeHeader(hex('9901'))).toThrow(SFrameError);
  expect(() => decodeHeader(new Uint8Array(0))).toThrow(SFrameError);
  expect(() => encodeHeader(1n << 64n, 0n)).toThrow(RangeError);
});

// RFC 9605, Appendix C.4, cipher suite 0x0004 (AES_128_GCM_SHA256_128).
const VECTOR = {
  kid: 0x123n,
  ctr: 0x4567n,
  baseKey: hex('000102030405060708090a0b0c0d0e0f'),
  metadata: hex('4945544620534672616d65205747'),
  plaintext: hex('64726166742d696574662d736672616d 652d656e63'),
  sealed: '9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb',
};

// Pages use WebCrypto's AES-GCM; the phone bridge brings Node's own cipher. Both must seal and refuse alike.
for (const [name, aeadOf] of [
  ['WebCrypto', webCryptoAead],
  ['Node’s cipher (the phone bridge)', nodeFrameAead],
] as const) {
  it(`${name}: seals and opens a frame exactly as RFC 9605 test vector for AES_128_GCM_SHA256_128 says`, async () => {
    const key = await SFrameKey.derive(VECTOR.baseKey, VECTOR.kid, aeadOf);
    const sealed = await key.seal(VECTOR.ctr, VECTOR.metadata, VECTOR.plaintext);
    expect(toHex(sealed)).toBe(VECTOR.sealed);
    const keys = (kid: bigint) => (kid === VECTOR.kid ? key : undefined);
    expect(toHex(await openFrame(keys, VECTOR.metadata, sealed))).toBe(toHex(VECTOR.plaintext));
  });

  it(`${name}: refuses a frame whose bytes, clear metadata or key were not the sender’s, or one cut short`, async () => {
    const key = await SFrameKey.derive(VECTOR.baseKey, VECTOR.kid, aeadOf);
    const keys = (kid: bigint) => (kid === VECTOR.kid ? key : undefined);
    const sealed = hex(VECTOR.sealed);
    const flipped = sealed.slice();
    flipped[10]! ^= 1;
    await expect(openFrame(keys, VECTOR.metadata, flipped)).rejects.toMatchObject({ reason: 'unauthentic' });
    await expect(openFrame(keys, hex('00'), sealed)).rejects.toMatchObject({ reason: 'unauthentic' });
    const otherKey = await SFrameKey.derive(hex('ffffffffffffffffffffffffffffffff'), VECTOR.kid, aeadOf);
    await expect(openFrame(() => otherKey, VECTOR.metadata, sealed)).rejects.toMatchObject({ reason: 'unauthentic' });
    await expect(openFrame(() => undefined, VECTOR.metadata, sealed)).rejects.toMatchObject({ reason: 'unknown-key' });
    await expect(openFrame(keys, VECTOR.metadata, sealed.subarray(0, 12))).rejects.toMatchObject({ reason: 'unauthentic' });
  });
}

it('a sender never repeats a counter: every frame gets the next one, so no two share a nonce', async () => {
  const sealer = new FrameSealer(await SFrameKey.derive(VECTOR.baseKey, 9n));
  const frames = await Promise.all([1, 2, 3].map(() => sealer.seal(new Uint8Array(0), VECTOR.plaintext)));
  expect(frames.map((frame) => decodeHeader(frame).ctr)).toEqual([0n, 1n, 2n]);
  expect(new Set(frames.map(toHex)).size).toBe(3);
});
