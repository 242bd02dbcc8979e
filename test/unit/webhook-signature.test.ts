import { expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { webhookHeaders, webhookKey } from '../../src/webhooks/signature.js';

// Circle's webhook signatures against Standard Webhooks' own verifier (npm `standardwebhooks`), as a clinic's receiver
// runs it: a secret given raw or the Standard Webhooks way (`whsec_` and base64), a changed body, another secret, a
// stale timestamp.
const body = JSON.stringify({ id: 'evt-1', type: 'session.started', roomId: 'dbt-7', sequence: 41 });
const now = () => Math.floor(Date.now() / 1000);

it('a raw secret: the verifier accepts the delivery given the secret raw, and nothing changed', () => {
  const secret = 'webhook-secret-0123456789abcdef0123456789abcdef';
  const headers = webhookHeaders(webhookKey(secret), 'evt-1', body, now());
  expect(new Webhook(secret, { format: 'raw' }).verify(body, headers)).toEqual(JSON.parse(body));
  expect(() => new Webhook(secret, { format: 'raw' }).verify(body.replace('41', '42'), headers)).toThrow();
  expect(() => new Webhook('another-secret-0123456789abcdef01234567', { format: 'raw' }).verify(body, headers)).toThrow();
  expect(() => new Webhook(secret, { format: 'raw' }).verify(body, { ...headers, 'webhook-id': 'evt-2' })).toThrow();
});

it('a whsec_ secret: its base64 bytes are the key, as every Standard Webhooks library reads it', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  const headers = webhookHeaders(webhookKey(secret), 'evt-1', body, now());
  expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
});

it('a delivery signed ten minutes ago is refused as a replay', () => {
  const secret = 'webhook-secret-0123456789abcdef0123456789abcdef';
  const headers = webhookHeaders(webhookKey(secret), 'evt-1', body, now() - 600);
  expect(() => new Webhook(secret, { format: 'raw' }).verify(body, headers)).toThrow(/timestamp/i);
});
