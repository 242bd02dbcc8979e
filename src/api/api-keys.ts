import { createHash, timingSafeEqual } from 'node:crypto';
import { CircleError } from '../protocol/errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * What a key may do. `read`: list and describe rooms and sessions, reports. `moderate`: set a session up, end it,
 * mute and remove. `mint`: tokens for clients and observers, and phone-only seats. `mint-staff`: tokens for
 * facilitators and co-facilitators, a scope of its own: whoever holds it can run any session it covers.
 */
export const API_SCOPES = ['read', 'moderate', 'mint', 'mint-staff'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
/** A key configured without scopes: everything but minting staff tokens. */
const DEFAULT_SCOPES: readonly ApiScope[] = ['read', 'moderate', 'mint'];

/** A configured key, as a request presenting it may act: its name (for the log), its scopes, its rooms. */
export interface ApiGrant {
  name: string;
  scopes: ReadonlySet<ApiScope>;
  /** A room id, or a prefix ending in `*`; `*`: every room. */
  rooms: string;
}

/** The credential an `Authorization: Bearer …` header presents; empty when there is none. */
export function presentedBearer(header: string | undefined): string {
  return /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
}

/** Whether `grant` covers `roomId`. */
export function coversRoom(grant: ApiGrant, roomId: string): boolean {
  return grant.rooms.endsWith('*') ? roomId.startsWith(grant.rooms.slice(0, -1)) : roomId === grant.rooms;
}

/** Refuses (`FORBIDDEN`) unless `grant` has `scope`, for `roomId` when one is named. */
export function requireScope(grant: ApiGrant, scope: ApiScope, roomId?: string): void {
  if (!grant.scopes.has(scope)) throw new CircleError('FORBIDDEN', `this API key lacks the ${scope} scope`);
  if (roomId !== undefined && !coversRoom(grant, roomId)) throw new CircleError('FORBIDDEN', 'this API key does not cover this room');
}

/**
 * The clinic systems' API keys, as configured: `name:sha256hex[:scopes[:rooms]]`, so the configuration never holds
 * a usable key. A presented key is hashed and compared with every configured one in constant time; the answer is the
 * key's grant (its name for the log), never the key.
 */
export class ApiKeys {
  private readonly keys: { grant: ApiGrant; hash: Buffer }[];

  constructor(configured: readonly string[]) {
    this.keys = configured.map((entry) => {
      const [name, hex, scopes, rooms] = entry.split(':') as [string, string, string?, string?];
      const granted = scopes ? (scopes.split('+') as ApiScope[]) : DEFAULT_SCOPES;
      return { grant: { name, scopes: new Set(granted), rooms: rooms || '*' }, hash: Buffer.from(hex, 'hex') };
    });
  }

  /** The configuration entry that accepts `key` with `scopes` for `rooms` (by default: everything but staff tokens, every room). */
  static create(name: string, key: string, scopes: readonly ApiScope[] = DEFAULT_SCOPES, rooms = '*'): string {
    return `${name}:${digest(key).toString('hex')}:${scopes.join('+')}${rooms === '*' ? '' : `:${rooms}`}`;
  }

  /** The grant of the key `presented` is, or undefined. Every configured key is compared, whichever matches. */
  identify(presented: string): ApiGrant | undefined {
    const hash = digest(presented);
    let found: ApiGrant | undefined;
    for (const key of this.keys) if (timingSafeEqual(hash, key.hash) && found === undefined) found = key.grant;
    return found;
  }
}
