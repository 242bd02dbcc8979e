/**
 * Circle for a clinic's backend (a scheduler, an EHR, a portal's server): mint join tokens, verify webhooks, and call
 * the server API with its types. Packed as `@circle/server-sdk` by `npm run pack:server-sdk`; docs/server-sdk.md.
 */
import { timingSafeEqual } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import { TokenService } from '../auth/tokens.js';
import type { Role } from '../protocol/roles.js';
import { webhookHeaders, webhookKey } from '../webhooks/signature.js';
import type { components, paths } from './api-types.js';

export type { components, paths, Role };

/** How the clinic's backend signs join tokens: the secret Circle holds (with its key id when Circle has several). */
export interface TokenSigning {
  secret: string;
  /** The key id (`kid`) Circle knows this secret by in `auth.signingKeys`; absent: Circle's `auth.tokenSecret`. */
  kid?: string;
  /** Circle's `auth.issuer` and `auth.audience`. */
  issuer: string;
  audience?: string;
}

/** What a join token says: who, where, as what; `participantId` is the clinic's own id (the same seat each time). */
export interface JoinClaims {
  roomId: string;
  participantId: string;
  name: string;
  role: Role;
  /** How long the token opens the seat; Circle refuses one valid for longer than its `auth.maxTokenLifetimeSeconds`. */
  ttlSeconds: number;
}

/** A join token for one person, signed as Circle checks it. */
export async function mintJoinToken(signing: TokenSigning, claims: JoinClaims): Promise<string> {
  const tokens = new TokenService({
    tokenSecret: signing.secret,
    signingKeys: signing.kid ? [`${signing.kid}:${signing.secret}`] : [],
    audience: signing.audience ?? 'circle',
    issuer: signing.issuer,
    maxTokenLifetimeSeconds: claims.ttlSeconds,
  });
  const { token } = await tokens.mint({ roomId: claims.roomId, displayName: claims.name, role: claims.role, participantId: claims.participantId }, claims.ttlSeconds);
  return token;
}

/** What Circle sends the clinic's webhook endpoint (docs/api.md, "Webhooks"). */
export interface CircleWebhookEvent {
  id: string;
  type: 'session.started' | 'session.ended' | 'session.report' | 'participant.joined' | 'participant.admitted' | 'participant.left' | 'participant.removed' | 'participant.audioOnly' | 'participant.dialledIn';
  occurredAt: string;
  /** One count for the cluster: orders events and shows a gap (absent when the store did not answer). */
  sequence?: number;
  roomId: string;
  participantId?: string;
  audioOnly?: boolean;
  report?: components['schemas']['SessionReport'];
}

export class WebhookVerificationError extends Error {}

/**
 * Checks a delivery as Standard Webhooks specify (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the
 * secret in `webhooks.secret`, refusing one signed more than `toleranceSeconds` from now (a replay); answers the event.
 */
export function verifyWebhook(
  secret: string,
  rawBody: string,
  headers: Record<string, string | string[] | undefined>,
  toleranceSeconds = 300,
  nowSeconds = Date.now() / 1000,
): CircleWebhookEvent {
  const header = (name: string) => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const [id, timestamp, signatures] = [header('webhook-id'), header('webhook-timestamp'), header('webhook-signature')];
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('not a signed delivery: a webhook-* header is missing');
  const sentAt = Number(timestamp);
  if (!Number.isInteger(sentAt) || Math.abs(nowSeconds - sentAt) > toleranceSeconds) throw new WebhookVerificationError('timestamp outside the tolerance');
  const expected = Buffer.from(webhookHeaders(webhookKey(secret), id, rawBody, sentAt)['webhook-signature']);
  const matches = signatures.split(' ').some((signature) => {
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('signature does not match');
  return JSON.parse(rawBody) as CircleWebhookEvent;
}

/**
 * A typed client of the server API (`/api/v1` on the internal listener): `api.POST('/rooms/{roomId}/tokens', …)` with
 * the paths, parameters and answers of the OpenAPI document, through openapi-fetch.
 */
export function createApiClient(baseUrl: string, apiKey: string): Client<paths> {
  return createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });
}
