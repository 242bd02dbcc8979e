import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CircleError } from '../protocol/errors.js';

const SEALED = 's1.';
const SIGNED = 'm1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The keys that keep clinic-chosen ids and participants' names out of logs and the shared store in clear. All are
 * derived (HKDF) from one configured secret, `privacy.secret`, so every node of a cluster derives the same ones and
 * a reader without the secret learns nothing by guessing ids such as `dbt-group-7:2026-11-23`.
 */
export class PrivacyKeys {
  private readonly refKey: Buffer;
  private readonly nameKey: Buffer;
  private readonly sealKey: Buffer;
  private readonly signKey: Buffer;

  constructor(secret: string) {
    const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, 'circle', purpose, 32));
    this.refKey = derive('log references');
    this.nameKey = derive('store key names');
    this.sealKey = derive('store values (AES-256-GCM)');
    this.signKey = derive('store values compared in place');
  }

  /** A room's or participant's reference in logs: stable across nodes and restarts, not reversible without the secret. */
  readonly logRef = (id: string): string => createHmac('sha256', this.refKey).update(id).digest('hex').slice(0, 16);

  /** The name the store keeps a logical key (`circle:room:<id>:state`) under. */
  storeKeyName(logicalKey: string): string {
    return `circle:${createHmac('sha256', this.nameKey).update(logicalKey).digest('base64url')}`;
  }

  /**
   * Encrypts and authenticates `plaintext` (AES-256-GCM, a fresh IV each time). `context` (the logical key or
   * channel) is bound in as associated data, so a value copied under another key does not open.
   */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return SEALED + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /**
   * Authenticates without encrypting, deterministically: for values the store compares in place (a lease holds a
   * node's address, not a patient's data) and a random IV would make two equal values differ.
   */
  sign(value: string, context: string): string {
    return `${SIGNED}${this.mac(value, context)}.${value}`;
  }

  /** The plaintext of a sealed or signed value; anything forged, altered or moved fails closed. */
  open(stored: string, context: string, what: string): string {
    try {
      if (stored.startsWith(SIGNED)) {
        const dot = stored.indexOf('.', SIGNED.length);
        const value = stored.slice(dot + 1);
        const expected = Buffer.from(this.mac(value, context));
        const given = Buffer.from(stored.slice(SIGNED.length, dot));
        if (dot > 0 && given.length === expected.length && timingSafeEqual(given, expected)) return value;
      } else if (stored.startsWith(SEALED)) {
        const raw = Buffer.from(stored.slice(SEALED.length), 'base64url');
        // A fixed tag length: GCM would otherwise accept a truncated tag, which is far easier to forge.
        const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      }
    } catch {
      // a wrong tag or a truncated value: the same answer as a forged one, below
    }
    throw new CircleError('STORED_STATE_INVALID', `the stored ${what} is not authentic (written without this cluster's privacy.secret, or altered)`);
  }

  private mac(value: string, context: string): string {
    return createHmac('sha256', this.signKey).update(context).update('\n').update(value).digest('base64url');
  }
}
