import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Identity } from '../auth/tokens.js';
import type { KeyValueStore } from '../store/kv.js';
import { ROLES } from '../protocol/roles.js';

const seatSchema = z.object({ participantId: z.string(), roomId: z.string(), displayName: z.string(), role: z.enum(ROLES) });

export interface PinSettings {
  pinLength: number;
  pinLifetimeSeconds: number;
}

/** Keys are sealed store names (an HMAC): no PIN, room or participant id is readable in the store. */
const pinKey = (pin: string) => `circle:phone:pin:${pin}`;
const pinClaimKey = (pin: string) => `circle:phone:pin-claim:${pin}`;
const seatKey = (roomId: string, participantId: string) => `circle:phone:seat:${roomId}:${participantId}`;

/**
 * Dial-in PINs: one per seat, random, as long as configured, valid for `pinLifetimeSeconds`. They live in the
 * shared store, so a call may reach any node. The same seat gets the same PIN each time it joins (a reload must not
 * change the number a client wrote down); a seat whose name or role changed gets the new ones with it.
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
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const fresh = String(randomInt(0, 10 ** this.settings.pinLength)).padStart(this.settings.pinLength, '0');
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

  /** The seat a PIN opens, if any. */
  async seatFor(pin: string): Promise<Identity | undefined> {
    if (!/^\d+$/.test(pin) || pin.length !== this.settings.pinLength) return undefined;
    const stored = await this.kv.get(pinKey(pin));
    if (!stored) return undefined;
    const seat = seatSchema.safeParse(JSON.parse(stored));
    return seat.success ? seat.data : undefined;
  }
}
