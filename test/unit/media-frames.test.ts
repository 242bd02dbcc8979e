import { expect, it } from 'vitest';
import { FrameKeyRing, frameKid } from '../../src/e2ee/frame-keys.js';
import { clearBytesOf, keyIdOf, openMediaFrame, sealMediaFrame } from '../../src/e2ee/media-frames.js';
import { FrameSealer, SFrameKey } from '../../src/e2ee/sframe.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const frameOf = (first: number, length: number) => Uint8Array.from({ length }, (_, i) => (i === 0 ? first : (i * 37) & 0xff));

it('keeps in clear what packetisers and the SFU read (VP8 frame tag and key-frame header, Opus TOC) and seals the rest', async () => {
  const key = await SFrameKey.derive(bytes(...Array(16).fill(7)), 3n);
  const sealer = new FrameSealer(key);
  const keys = (kid: bigint) => (kid === 3n ? key : undefined);
  const cases = [
    { codec: 'vp8' as const, frame: frameOf(0x10, 400), clear: 10 }, // P bit 0: a key frame
    { codec: 'vp8' as const, frame: frameOf(0x11, 120), clear: 3 }, // a delta frame
    { codec: 'opus' as const, frame: frameOf(0x78, 60), clear: 1 },
  ];
  for (const { codec, frame, clear } of cases) {
    expect(clearBytesOf(codec, frame)).toBe(clear);
    const sealed = await sealMediaFrame(sealer, codec, frame);
    expect(sealed.subarray(0, clear)).toEqual(frame.subarray(0, clear));
    // None of the rest survives in the sealed frame: SFrame header, ciphertext and a 16-byte tag.
    expect(Buffer.from(sealed).includes(Buffer.from(frame.subarray(clear, clear + 8)))).toBe(frame.length - clear < 8);
    expect(sealed.length).toBeGreaterThan(frame.length + 16);
    expect(await openMediaFrame(keys, codec, sealed)).toEqual(frame);
    // The clear bytes are authenticated: an SFU that changes them breaks the frame.
    const altered = sealed.slice();
    altered[clear - 1]! ^= 0x40;
    await expect(openMediaFrame(keys, codec, altered)).rejects.toMatchObject({ reason: 'unauthentic' });
  }
  await expect(sealMediaFrame(sealer, 'vp8', frameOf(0x11, 2))).rejects.toMatchObject({ reason: 'malformed' });
  await expect(sealMediaFrame(sealer, 'opus', new Uint8Array(0))).rejects.toMatchObject({ reason: 'malformed' });
});

it('a member without the new key opens nothing sealed under it', async () => {
  const old = await SFrameKey.derive(bytes(...Array(16).fill(1)), 1n);
  const next = new FrameSealer(await SFrameKey.derive(bytes(...Array(16).fill(2)), 2n));
  const departed = (kid: bigint) => (kid === 1n ? old : undefined);
  for (let i = 0; i < 5; i += 1) {
    const sealed = await sealMediaFrame(next, 'opus', frameOf(0x78, 80));
    await expect(openMediaFrame(departed, 'opus', sealed)).rejects.toMatchObject({ reason: 'unknown-key' });
  }
});

it('a receiver tells a frame sealed with the epoch after its own (keys on their way) from any other it cannot open', async () => {
  const baseKey = bytes(...Array(16).fill(9));
  const ring = new FrameKeyRing();
  await ring.enter(255n, baseKey, 0, [0, 1]);
  const nextEpochs = new FrameKeyRing();
  // Epoch 256 wraps to 0 in the key id's eight bits: still the next one.
  await nextEpochs.enter(256n, baseKey, 1, [0, 1]);
  const sealed = await sealMediaFrame(nextEpochs.sealer('video')!, 'vp8', frameOf(0x11, 90));
  expect(keyIdOf('vp8', sealed)).toBe(frameKid(256n, 1, 'video'));
  expect(ring.namesNextEpoch(keyIdOf('vp8', sealed))).toBe(true);
  await expect(openMediaFrame(ring.keyFor, 'vp8', sealed)).rejects.toMatchObject({ reason: 'unknown-key' });
  // Its own epoch, one two ahead, one behind: none is the next.
  for (const epoch of [255n, 257n, 254n]) expect(ring.namesNextEpoch(frameKid(epoch, 1, 'audio'))).toBe(false);
  expect(new FrameKeyRing().namesNextEpoch(frameKid(0n, 1, 'audio'))).toBe(false);
});
