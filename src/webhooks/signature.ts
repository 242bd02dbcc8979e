import { createHmac } from 'node:crypto';

/** The Standard Webhooks prefix of a secret given as base64 bytes (`whsec_…`), as their tooling generates one. */
const STANDARD_SECRET_PREFIX = 'whsec_';

/**
 * The key a webhook secret stands for: the bytes after `whsec_` when it is written the Standard Webhooks way, else
 * the secret's own UTF-8 bytes (a receiver then gives its verifier the secret as raw, e.g. `{format: 'raw'}`).
 */
export function webhookKey(secret: string): Buffer {
  return secret.startsWith(STANDARD_SECRET_PREFIX) ? Buffer.from(secret.slice(STANDARD_SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The headers that sign a delivery per the Standard Webhooks specification (standardwebhooks.com), so a receiver's
 * ordinary verifier library accepts it: `webhook-id` (the event's id, the same on every retry: the receiver's
 * idempotency key), `webhook-timestamp` (unix seconds of this attempt: a receiver refuses a replay older than its
 * tolerance) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`).
 */
export function webhookHeaders(key: Buffer, id: string, body: string, unixSeconds: number): WebhookHeaders {
  const signature = createHmac('sha256', key).update(`${id}.${unixSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(unixSeconds), 'webhook-signature': `v1,${signature}` };
}
