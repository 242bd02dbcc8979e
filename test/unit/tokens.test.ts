import { describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/tokens.js';
import { CircleError } from '../../src/protocol/errors.js';

const service = new TokenService({ tokenSecret: 'k'.repeat(40), audience: 'circle' });

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
    const other = new TokenService({ tokenSecret: 'k'.repeat(40), audience: 'elsewhere' });
    const { token } = await other.mint({ roomId: 'r', displayName: 'A', role: 'client' }, 600);
    await expect(service.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const stranger = new TokenService({ tokenSecret: 'z'.repeat(40), audience: 'circle' });
    const forged = await stranger.mint({ roomId: 'r', displayName: 'A', role: 'facilitator' }, 600);
    await expect(service.verify(forged.token)).rejects.toBeInstanceOf(CircleError);
  });

  it('refuses ids that are not opaque references', async () => {
    const { token } = await service.mint({ roomId: 'Group with Jane Doe', displayName: 'A', role: 'client' }, 600);
    await expect(service.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'token claims invalid: room' });
  });
});
