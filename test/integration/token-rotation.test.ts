import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, type TestClient } from '../../harness/signaling.js';

// Rotating the join-token secret against a real server: tokens minted as a clinic's backend mints them (jose, HS256,
// with a key id), during a rotation where the node holds the new key and the old one.
const OLD = { kid: '2026-03', secret: 'old-signing-secret-0123456789abcdef0123456789' };
const NEW = { kid: '2026-06', secret: 'new-signing-secret-0123456789abcdef0123456789' };
let server: RunningCircle;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await startCircle({ auth: { signingKeys: [`${NEW.kid}:${NEW.secret}`, `${OLD.kid}:${OLD.secret}`] } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
});

/** A join token as the clinic's backend signs it. */
const tokenSignedWith = (key: { kid: string; secret: string }, participantId: string) =>
  new SignJWT({ room: 'rotating', name: participantId, role: 'facilitator' })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setSubject(participantId)
    .setAudience('circle')
    .setIssuer('circle')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(key.secret));

const joinWith = async (token: string) => {
  const client = await connect(server.url);
  clients.push(client);
  return client.call('join', { token });
};

it('joins with a token of the old key and of the new one; a key id the node does not hold, or a forged one, is refused', async () => {
  expect(await joinWith(await tokenSignedWith(OLD, 'fola'))).toMatchObject({ ok: true });
  expect(await joinWith(await tokenSignedWith(NEW, 'gus'))).toMatchObject({ ok: true });
  expect(await joinWith(await tokenSignedWith({ kid: '2025-12', secret: OLD.secret }, 'hal'))).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  expect(await joinWith(await tokenSignedWith({ kid: NEW.kid, secret: OLD.secret }, 'ike'))).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  // What the server API mints carries the first key's id.
  const minted = await server.circle.tokens.mint({ roomId: 'rotating', displayName: 'Jo', role: 'client' }, 600);
  expect(JSON.parse(Buffer.from(minted.token.split('.')[0]!, 'base64url').toString())).toMatchObject({ kid: NEW.kid });
});
