import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The credential an `Authorization: Bearer …` header presents; empty when there is none. */
export function presentedBearer(header: string | undefined): string {
  return /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
}

/**
 * The clinic systems' API keys, as configured: `name:sha256hex`, so the configuration never holds a usable key.
 * A presented key is hashed and compared with every configured one in constant time; the answer is the key's name
 * (for the log), never the key.
 */
export class ApiKeys {
  private readonly keys: { name: string; hash: Buffer }[];

  constructor(configured: readonly string[]) {
    this.keys = configured.map((entry) => {
      const [name, hex] = entry.split(':') as [string, string];
      return { name, hash: Buffer.from(hex, 'hex') };
    });
  }

  /** A new key and the configuration entry that accepts it. */
  static create(name: string, key: string): string {
    return `${name}:${digest(key).toString('hex')}`;
  }

  /** The name of the key `presented` is, or undefined. Every configured key is compared, whichever matches. */
  identify(presented: string): string | undefined {
    const hash = digest(presented);
    let found: string | undefined;
    for (const key of this.keys) if (timingSafeEqual(hash, key.hash) && found === undefined) found = key.name;
    return found;
  }
}
