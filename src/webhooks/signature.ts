import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How Circle signs a webhook, and how a receiver checks it: the header `circle-signature: t=<unix seconds>,v1=<hex>`
 * where v1 is HMAC-SHA256 with the shared secret over `<t>.<body>`. The time inside the signature lets a receiver
 * refuse a replayed delivery (older than its tolerance).
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** For receivers: whether `header` signs `body` with `secret`, no older than `toleranceSeconds`. */
export function verifyWebhook(secret: string, header: string, body: string, toleranceSeconds = 300, nowSeconds = Date.now() / 1000): boolean {
  const fields = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(fields.t);
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(fields.v1 ?? '') || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1]!, 'hex');
  return timingSafeEqual(expected, Buffer.from(fields.v1!, 'hex'));
}
