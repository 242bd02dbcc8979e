import { describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/tokens.js';
import { CircleError } from '../../src/protocol/errors.js';

const settings = { tokenSecret: 'k'.repeat(40), audience: 'circle', issuer: 'clinic', maxTokenLifetimeSeconds: 3600 };
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
});
