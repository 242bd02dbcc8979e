import { createHmac, randomBytes } from 'node:crypto';
import type { IceServer } from '../protocol/events.js';

export interface TurnSettings {
  /** Shared with the relay (coturn's `static-auth-secret`). */
  secret: string;
  /** Where clients reach the relay. */
  host: string;
  /** TURN over UDP and TCP; 0: neither. */
  port: number;
  /** TURN over TLS (`turns:`); 0: none. */
  tlsPort: number;
  credentialTtlSeconds: number;
}

/**
 * Credentials for the clinic's TURN relay in the TURN REST API scheme (coturn's `use-auth-secret`): the username is
 * the time they expire and an opaque tag, the password the HMAC-SHA1 of the username under the secret Circle and
 * the relay share. The relay checks them without asking Circle, and refuses them once that time has passed, so a
 * credential copied out of a browser is worth nothing after its lifetime. The tag is random: the relay's log
 * shows no participant, room or name.
 */
export class TurnCredentials {
  private readonly urls: string[];

  constructor(
    private readonly settings: TurnSettings,
    private readonly now: () => number = Date.now,
  ) {
    const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    this.urls = [
      ...(settings.port ? [`turn:${host}:${settings.port}?transport=udp`, `turn:${host}:${settings.port}?transport=tcp`] : []),
      ...(settings.tlsPort ? [`turns:${host}:${settings.tlsPort}?transport=tcp`] : []),
    ];
  }

  /** `ttlSeconds`: shorter than the configured lifetime for a connection that needs the relay briefly (a check). */
  issue(ttlSeconds = this.settings.credentialTtlSeconds): IceServer {
    const expiresAt = Math.floor(this.now() / 1000) + Math.min(ttlSeconds, this.settings.credentialTtlSeconds);
    const username = `${expiresAt}:${randomBytes(6).toString('hex')}`;
    const credential = createHmac('sha1', this.settings.secret).update(username).digest('base64');
    return { urls: [...this.urls], username, credential };
  }
}
