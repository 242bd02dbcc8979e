import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import { z } from 'zod';
import { CircleError } from '../protocol/errors.js';
import { ROLES, type Role } from '../protocol/roles.js';

/** Room and participant ids are opaque references chosen by the clinic's system, never names. */
export const opaqueId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -');
export const displayName = z.string().trim().min(1).max(64);

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
  tokenSecret: string;
  audience: string;
}

const ALGORITHM = 'HS256';

export class TokenService {
  private readonly key: Uint8Array;

  constructor(private readonly settings: TokenSettings) {
    this.key = new TextEncoder().encode(settings.tokenSecret);
  }

  async verify(token: string): Promise<Identity> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        audience: this.settings.audience,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      const reason = error instanceof errors.JWTExpired ? 'token expired' : 'token invalid';
      throw new CircleError('UNAUTHORIZED', reason);
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
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(participantId)
      .setAudience(this.settings.audience)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
    return { token, participantId };
  }
}
