import { decodeHeader, FrameSealer, openFrame, SFrameError, type Bytes, type SFrameKey } from './sframe.js';

/**
 * Which bytes of an encoded frame stay in clear, and the sealing of the rest. Everything a browser's packetiser, the
 * SFU and the receiving depacketiser read lives in the RTP headers and extensions (VP8's payload descriptor, the
 * audio level, simulcast layers), except the first bytes of the codec's own frame:
 *
 * - VP8: its frame tag, 3 bytes, and on a key frame the 7 that follow (start code and size): 10. The keyframe bit is
 *   what lets the SFU answer a layer switch with a key frame and the receiver's jitter buffer start decoding.
 * - Opus: the TOC byte (mode, bandwidth, frame size), which is no secret a packet's size does not already tell.
 *
 * A frame is then `clear bytes || SFrame(header || ciphertext)`, the clear bytes authenticated as the SFrame
 * metadata: an SFU can read them but not change them unnoticed. A frame shorter than its codec's clear part is not
 * a frame of that codec (a VP8 frame tag is 3 bytes, a key frame's header 10, an Opus packet has its TOC byte) and
 * is refused, rather than sealed in a way the receiver would read differently.
 */
export type FrameCodec = 'opus' | 'vp8';

export function clearBytesOf(codec: FrameCodec, frame: Bytes): number {
  const clear = codec === 'opus' ? 1 : frame.length > 0 && (frame[0]! & 0x01) === 0 ? 10 : 3;
  if (frame.length < clear) throw new SFrameError('malformed', `a ${codec} frame shorter than its header`);
  return clear;
}

export async function sealMediaFrame(sealer: FrameSealer, codec: FrameCodec, frame: Bytes): Promise<Bytes> {
  const clear = clearBytesOf(codec, frame);
  const metadata = frame.subarray(0, clear);
  const sealed = await sealer.seal(metadata, frame.subarray(clear));
  const out = new Uint8Array(clear + sealed.length);
  out.set(metadata);
  out.set(sealed, clear);
  return out;
}

export async function openMediaFrame(keys: (kid: bigint) => SFrameKey | undefined, codec: FrameCodec, data: Bytes): Promise<Bytes> {
  const clear = clearBytesOf(codec, data);
  const metadata = data.subarray(0, clear);
  const plaintext = await openFrame(keys, metadata, data.subarray(clear));
  const out = new Uint8Array(clear + plaintext.length);
  out.set(metadata);
  out.set(plaintext, clear);
  return out;
}

/** The key id a sealed frame names (which sender, stream and epoch sealed it). */
export function keyIdOf(codec: FrameCodec, data: Bytes): bigint {
  return decodeHeader(data.subarray(clearBytesOf(codec, data))).kid;
}
