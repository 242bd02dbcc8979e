import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Identity } from '../auth/tokens.js';
import type { KeyValueStore } from '../store/kv.js';
import { ROLES } from '../protocol/roles.js';

const seatSchema = z.object({ participantId: z.string(), roomId: z.string(), displayName: z.string(), role: z.enum(ROLES) });

/** The first digits of every PIN: the session's code, so wrong PINs can be counted and limited per session. */
export const SESSION_CODE_DIGITS = 4;

export interface PinSettings {
  /** Digits in a whole PIN: the session's code, then the seat's own. */
  pinLength: number;
  pinLifetimeSeconds: number;
}

/** Keys are sealed store names (an HMAC): no PIN, room or participant id is readable in the store. */
const pinKey = (pin: string) => `circle:phone:pin:${pin}`;
const pinClaimKey = (pin: string) => `circle:phone:pin-claim:${pin}`;
const seatKey = (roomId: string, participantId: string) => `circle:phone:seat:${roomId}:${participantId}`;
const sessionKey = (code: string) => `circle:phone:session:${code}`;
const sessionClaimKey = (code: string) => `circle:phone:session-claim:${code}`;
const sessionOfRoomKey = (roomId: string) => `circle:phone:session-of:${roomId}`;
const sessionTokenKey = (roomId: string) => `circle:phone:session-token:${roomId}`;

const digits = (count: number) => String(randomInt(0, 10 ** count)).padStart(count, '0');

/**
 * Dial-in PINs: the session's code (unique among live sessions) followed by a random code of the seat's own, valid
 * for `pinLifetimeSeconds`. They live in the shared store, so a call may reach any node. The same seat gets the same
 * PIN each time it joins the same session (a reload must not change the number a client wrote down); another
 * session gets other PINs. A seat whose name or role changed gets the new ones with it.
 */
export class DialInPins {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly settings: PinSettings,
  ) {}

  async pinFor(identity: Identity): Promise<{ pin: string; expiresAt: string }> {
    const ttlMs = this.settings.pinLifetimeSeconds * 1000;
    const seat = JSON.stringify(seatSchema.parse(identity));
    const existing = await this.kv.get(seatKey(identity.roomId, identity.participantId));
    const [pin, expiresAt] = existing?.split(' ') ?? [];
    if (pin && expiresAt && Date.parse(expiresAt) > Date.now() + 60_000) {
      await this.kv.set(pinKey(pin), seat, Date.parse(expiresAt) - Date.now());
      return { pin, expiresAt };
    }
    const session = await this.sessionCode(identity.roomId, ttlMs);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const fresh = session + digits(this.settings.pinLength - SESSION_CODE_DIGITS);
      // A claim, so two seats can never be handed one PIN, whichever nodes issue them. A claim's value is signed,
      // not sealed, so it holds an opaque token; the seat itself is stored sealed beside it.
      const token = randomUUID();
      if ((await this.kv.claim(pinClaimKey(fresh), token, ttlMs)) !== token) continue;
      await this.kv.set(pinKey(fresh), seat, ttlMs);
      const until = new Date(Date.now() + ttlMs).toISOString();
      await this.kv.set(seatKey(identity.roomId, identity.participantId), `${fresh} ${until}`, ttlMs);
      return { pin: fresh, expiresAt: until };
    }
    throw new Error('no free dial-in PIN after 20 attempts; raise phone.pinLength');
  }

  /** The room whose session a PIN's first digits name, if it is live. */
  async roomOf(pin: string): Promise<string | undefined> {
    if (!/^\d+$/.test(pin) || pin.length !== this.settings.pinLength) return undefined;
    return this.kv.get(sessionKey(pin.slice(0, SESSION_CODE_DIGITS)));
  }

  /** The seat a PIN opens, if any. */
  async seatFor(pin: string): Promise<Identity | undefined> {
    if (!/^\d+$/.test(pin) || pin.length !== this.settings.pinLength) return undefined;
    const stored = await this.kv.get(pinKey(pin));
    if (!stored) return undefined;
    const seat = seatSchema.safeParse(JSON.parse(stored));
    return seat.success ? seat.data : undefined;
  }

  /**
   * The session's code, unique among live sessions and renewed with each seat's PIN. A session's claims hold a
   * random token of its own (claims are signed, not sealed: nothing in them may name the room). Two seats of a new
   * session asking at once may each claim a code; both then lead to the session.
   */
  private async sessionCode(roomId: string, ttlMs: number): Promise<string> {
    const mine = randomUUID();
    const token = await this.kv.claim(sessionTokenKey(roomId), mine, ttlMs);
    if (token !== mine) await this.kv.claim(sessionTokenKey(roomId), token, ttlMs);
    let code = await this.kv.get(sessionOfRoomKey(roomId));
    for (let attempt = 0; !code && attempt < 50; attempt += 1) {
      const candidate = digits(SESSION_CODE_DIGITS);
      if ((await this.kv.claim(sessionClaimKey(candidate), token, ttlMs)) === token) code = candidate;
    }
    if (!code) throw new Error('no free dial-in session code after 50 attempts');
    await this.kv.claim(sessionClaimKey(code), token, ttlMs);
    await this.kv.set(sessionKey(code), roomId, ttlMs);
    await this.kv.set(sessionOfRoomKey(roomId), code, ttlMs);
    return code;
  }
}
