import { expect, it } from 'vitest';
import { FrameKeyRing } from '../../src/e2ee/frame-keys.js';
import { openMediaFrame, sealMediaFrame } from '../../src/e2ee/media-frames.js';
import { NextEpochHold } from '../../src/e2ee/next-epoch-hold.js';
import type { Bytes } from '../../src/e2ee/sframe.js';

const baseKeyOf = (epoch: number) => Uint8Array.from({ length: 16 }, (_, i) => (i * 7 + epoch) & 0xff) as Bytes;
const voice = () => Uint8Array.from({ length: 60 }, (_, i) => (i === 0 ? 0x78 : (i * 31) & 0xff)) as Bytes;

/** A receiver (leaf 0) at epoch 5 and a sender (leaf 1) already at `senderEpoch`, one frame of whose voice is sealed. */
async function atEpochs(senderEpoch: number, boundMs = 150) {
  const receiver = new FrameKeyRing();
  await receiver.enter(5n, baseKeyOf(5), 0, [0, 1]);
  const sender = new FrameKeyRing();
  await sender.enter(BigInt(senderEpoch), baseKeyOf(senderEpoch), 1, [0, 1]);
  const frame = voice();
  const sealed = await sealMediaFrame(sender.sealer('audio')!, 'opus', frame);
  const hold = new NextEpochHold(() => [receiver], boundMs);
  const open = () => hold.open('opus', sealed, () => openMediaFrame(receiver.keyFor, 'opus', sealed));
  return { receiver, hold, frame, sealed, open };
}

it('holds a frame sealed with the next epoch until that epoch enters, then opens it', async () => {
  const { receiver, hold, frame, open } = await atEpochs(6);
  const opening = open();
  await new Promise((resolve) => setTimeout(resolve, 30));
  await receiver.enter(6n, baseKeyOf(6), 0, [0, 1]);
  hold.epochEntered();
  expect(await opening).toEqual({ frame, late: true });
});

it('holds no longer than the bound from the first frame ahead, and not again until an epoch enters', async () => {
  const { receiver, hold, open } = await atEpochs(6, 150);
  const first = Date.now();
  await expect(open()).rejects.toMatchObject({ reason: 'unknown-key' });
  expect(Date.now() - first).toBeGreaterThanOrEqual(140);
  const second = Date.now();
  await expect(open()).rejects.toMatchObject({ reason: 'unknown-key' });
  expect(Date.now() - second).toBeLessThan(100);
  // An epoch enters (7, not the frame's): the next frame ahead, sealed with 8, is held afresh.
  await receiver.enter(7n, baseKeyOf(7), 0, [0, 1]);
  hold.epochEntered();
  const sender = new FrameKeyRing();
  await sender.enter(8n, baseKeyOf(8), 1, [0, 1]);
  const ahead = await sealMediaFrame(sender.sealer('audio')!, 'opus', voice());
  const again = Date.now();
  await expect(hold.open('opus', ahead, () => openMediaFrame(receiver.keyFor, 'opus', ahead))).rejects.toMatchObject({ reason: 'unknown-key' });
  expect(Date.now() - again).toBeGreaterThanOrEqual(140);
});

it('does not hold a frame of an epoch other than the next, nor one it opens at once', async () => {
  for (const epoch of [4, 7, 200]) {
    const { open } = await atEpochs(epoch, 5000);
    const started = Date.now();
    await expect(open()).rejects.toMatchObject({ reason: 'unknown-key' });
    expect(Date.now() - started).toBeLessThan(100);
  }
  const { frame, open } = await atEpochs(5);
  expect(await open()).toEqual({ frame, late: false });
});
