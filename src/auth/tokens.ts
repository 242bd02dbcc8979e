import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import { z } from 'zod';
import { CircleError } from '../protocol/errors.js';
import { ROLES, type Role } from '../protocol/roles.js';

/** Room and participant ids are opaque references chosen by the clinic's system, never names. */
export const opaqueId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -');
/**
 * A display name as people will see it: Unicode NFC, with control and format characters removed (NUL, bidi
 * overrides that make a name read backwards, zero-width characters that make two names look alike). A name left
 * empty by that is refused.
 */
export const displayName = z
  .string()
  .max(256)
  .transform((name) => name.normalize('NFC').replace(/[\p{Cc}\p{Cf}]/gu, '').trim())
  .pipe(z.string().min(1, 'empty after removing control and format characters').max(64));

const claimsSchema = z.object({
  sub: opaqueId,
  room: opaqueId,
  name: displayName,
  role: z.enum(ROLES),
});

export interface Identity {
  participantId: string;
  roomId: string;
  displayName: string;
  role: Role;
}

export interface TokenSettings {
  /** The key of tokens without a key id (`kid`). */
  tokenSecret: string;
  /**
   * Keys with ids, `kid:secret`: a token naming a `kid` is checked with that key alone; the first signs what Circle
   * mints. Several at once let a secret be rotated without refusing the tokens already handed out.
   */
  signingKeys: string[];
  audience: string;
  /** Who mints tokens (the clinic's backend): a token from anyone else is refused. */
  issuer: string;
  /** A token valid for longer than this (`exp − iat`) is refused: a leaked one must not open seats for days. */
  maxTokenLifetimeSeconds: number;
}

const ALGORITHM = 'HS256';

export class TokenService {
  /** The key of tokens without a `kid`. */
  private readonly unnamedKey: Uint8Array;
  private readonly keysById = new Map<string, Uint8Array>();
  /** The key id Circle signs with; none: the unnamed key. */
  private readonly signingKid: string | undefined;

  constructor(private readonly settings: TokenSettings) {
    const encode = (secret: string) => new TextEncoder().encode(secret);
    this.unnamedKey = encode(settings.tokenSecret);
    for (const entry of settings.signingKeys) {
      const colon = entry.indexOf(':');
      this.keysById.set(entry.slice(0, colon), encode(entry.slice(colon + 1)));
    }
    // The first entry signs (a Map keeps the order entries were added in).
    this.signingKid = this.keysById.keys().next().value;
  }

  /** The key a token's header names; a `kid` Circle does not hold is refused, never tried against another key. */
  private keyFor(kid: string | undefined): Uint8Array {
    if (kid === undefined) return this.unnamedKey;
    const key = this.keysById.get(kid);
    if (!key) throw new CircleError('UNAUTHORIZED', 'token invalid');
    return key;
  }

  async verify(token: string): Promise<Identity> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.keyFor(header.kid), {
        algorithms: [ALGORITHM],
        audience: this.settings.audience,
        issuer: this.settings.issuer,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      const reason = error instanceof errors.JWTExpired ? 'token expired' : 'token invalid';
      throw new CircleError('UNAUTHORIZED', reason);
    }
    const { exp, iat } = payload as { exp: number; iat: number };
    if (exp - iat > this.settings.maxTokenLifetimeSeconds) {
      throw new CircleError('UNAUTHORIZED', `token lifetime exceeds ${this.settings.maxTokenLifetimeSeconds} s`);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) {
      throw new CircleError('UNAUTHORIZED', `token claims invalid: ${claims.error.issues[0]?.path.join('.')}`);
    }
    const { sub, room, name, role } = claims.data;
    return { participantId: sub, roomId: room, displayName: name, role };
  }

  async mint(
    claims: { roomId: string; displayName: string; role: Role; participantId?: string },
    ttlSeconds: number,
  ): Promise<{ token: string; participantId: string }> {
    const participantId = claims.participantId ?? randomUUID();
    const token = await new SignJWT({ room: claims.roomId, name: claims.displayName, role: claims.role })
      .setProtectedHeader(this.signingKid === undefined ? { alg: ALGORITHM } : { alg: ALGORITHM, kid: this.signingKid })
      .setSubject(participantId)
      .setAudience(this.settings.audience)
      .setIssuer(this.settings.issuer)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.keyFor(this.signingKid));
    return { token, participantId };
  }
}
