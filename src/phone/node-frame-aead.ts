import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { Bytes, FrameAeadOf } from '../e2ee/sframe.js';

const TAG_BYTES = 16;

const bytesOf = (buffer: Buffer): Bytes => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) as Bytes;

/**
 * SFrame's AES-128-GCM through Node's own cipher, done in the call: the bridge seals every caller's frames and opens
 * every voice its callers hear, and through WebCrypto (a promise settled from libuv's thread pool for each 160-byte
 * frame) encryption cost it twice as much per caller (docs/benchmarks.md, "The phone bridge under encryption").
 */
export const nodeFrameAead: FrameAeadOf = async (keyBytes) => {
  const key = createSecretKey(keyBytes);
  return {
    seal: async (iv, aad, plaintext) => {
      const cipher = createCipheriv('aes-128-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      return bytesOf(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
    },
    open: async (iv, aad, ciphertext) => {
      if (ciphertext.length < TAG_BYTES) throw new RangeError('shorter than its tag');
      const decipher = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
      return bytesOf(Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES)), decipher.final()]));
    },
  };
};
