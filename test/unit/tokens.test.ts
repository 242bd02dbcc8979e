import { describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/tokens.js';
import { CircleError } from '../../src/protocol/errors.js';

const settings = { tokenSecret: 'k'.repeat(40), signingKeys: [] as string[], audience: 'circle', issuer: 'clinic', maxTokenLifetimeSeconds: 3600 };
const service = new TokenService(settings);

describe('join tokens', () => {
  it('round-trips an identity', async () => {
    const { token, participantId } = await service.mint(
      { roomId: 'group-7', displayName: 'Ana', role: 'cofacilitator' },
      600,
    );
    await expect(service.verify(token)).resolves.toEqual({
      participantId,
      roomId: 'group-7',
      displayName: 'Ana',
      role: 'cofacilitator',
    });
  });

  it('refuses another audience or another key', async () => {
    const other = new TokenService({ ...settings, audience: 'elsewhere' });
    const { token } = await other.mint({ roomId: 'r', displayName: 'A', role: 'client' }, 600);
    await expect(service.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const stranger = new TokenService({ ...settings, tokenSecret: 'z'.repeat(40) });
    const forged = await stranger.mint({ roomId: 'r', displayName: 'A', role: 'facilitator' }, 600);
    await expect(service.verify(forged.token)).rejects.toBeInstanceOf(CircleError);
  });

  it('refuses ids that are not opaque references', async () => {
    const { token } = await service.mint({ roomId: 'Group with Jane Doe', displayName: 'A', role: 'client' }, 600);
    await expect(service.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'token claims invalid: room' });
  });

  it('refuses another issuer, and a lifetime longer than the maximum', async () => {
    const other = new TokenService({ ...settings, issuer: 'someone-else' });
    const { token } = await other.mint({ roomId: 'r', displayName: 'A', role: 'client' }, 600);
    await expect(service.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const longLived = await service.mint({ roomId: 'r', displayName: 'A', role: 'client' }, 3601);
    await expect(service.verify(longLived.token)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'token lifetime exceeds 3600 s' });
    const justRight = await service.mint({ roomId: 'r', displayName: 'A', role: 'client' }, 3600);
    await expect(service.verify(justRight.token)).resolves.toMatchObject({ roomId: 'r' });
  });

  it('normalises display names: NFC, no control or format characters; empty after that is refused', async () => {
    const name = async (displayName: string) => {
      const { token } = await service.mint({ roomId: 'r', displayName, role: 'client' }, 600);
      return service.verify(token).then((identity) => identity.displayName, (error: CircleError) => error.code);
    };
    expect(await name('Cafe\u0301 Ana')).toBe('Caf\u00e9 Ana'); // NFC
    expect(await name('Ana\u202Enahtan')).toBe('Ananahtan'); // a bidi override that would show the name reversed
    expect(await name('A\u200Bna\u0000')).toBe('Ana'); // zero-width space and NUL
    expect(await name('\u200B\u200E\u0007')).toBe('UNAUTHORIZED');
  });

  it('rotates keys: the first named key signs, each token is checked with the key its kid names, an unknown kid is refused', async () => {
    const [march, june] = [`2026-03:${'m'.repeat(40)}`, `2026-06:${'j'.repeat(40)}`];
    const before = new TokenService({ ...settings, signingKeys: [march] });
    const during = new TokenService({ ...settings, signingKeys: [june, march] });
    const after = new TokenService({ ...settings, signingKeys: [june] });
    const minted = (service: TokenService) => service.mint({ roomId: 'r', displayName: 'A', role: 'client' }, 600).then((m) => m.token);
    const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid?: string };

    const old = await minted(before);
    expect(header(old).kid).toBe('2026-03');
    await expect(during.verify(old)).resolves.toMatchObject({ roomId: 'r' }); // handed out before the rotation
    const fresh = await minted(during);
    expect(header(fresh).kid).toBe('2026-06');
    await expect(during.verify(fresh)).resolves.toMatchObject({ roomId: 'r' });
    await expect(after.verify(fresh)).resolves.toMatchObject({ roomId: 'r' });
    await expect(after.verify(old)).rejects.toMatchObject({ code: 'UNAUTHORIZED' }); // the retired key opens nothing

    // A kid-less token is checked with tokenSecret; a kid with another key's signature is not tried elsewhere.
    await expect(during.verify(await minted(service))).resolves.toMatchObject({ roomId: 'r' });
    const impostor = new TokenService({ ...settings, signingKeys: [`2026-06:${'x'.repeat(40)}`] });
    await expect(during.verify(await minted(impostor))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const unknown = new TokenService({ ...settings, signingKeys: [`2027-01:${'m'.repeat(40)}`] });
    await expect(during.verify(await minted(unknown))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
