// TURN credentials in the TURN REST API scheme, and the path a browser reports from its ICE statistics.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selectedPath } from '../../src/client/link-reporter.js';
import { TurnCredentials } from '../../src/turn/turn-credentials.js';

const SECRET = 's'.repeat(40);

describe('TURN credentials', () => {
  it('username = expiry:tag, password = base64 HMAC-SHA1 of it under the shared secret; UDP, TCP and TLS URLs', () => {
    const turn = new TurnCredentials({ secret: SECRET, host: 'turn.clinic.example', port: 3478, tlsPort: 443, credentialTtlSeconds: 600 }, () => 1_700_000_000_500);
    const issued = turn.issue();
    expect(issued.username).toMatch(/^1700000600:[0-9a-f]{12}$/);
    expect(issued.credential).toBe(createHmac('sha1', SECRET).update(issued.username).digest('base64'));
    expect(issued.urls).toEqual(['turn:turn.clinic.example:3478?transport=udp', 'turn:turn.clinic.example:3478?transport=tcp', 'turns:turn.clinic.example:443?transport=tcp']);
    expect(turn.issue().username).not.toBe(issued.username);
  });

  it('an IPv6 host is bracketed; a port of 0 leaves its URLs out', () => {
    expect(new TurnCredentials({ secret: SECRET, host: '2001:db8::7', port: 0, tlsPort: 5349, credentialTtlSeconds: 60 }).issue().urls).toEqual(['turns:[2001:db8::7]:5349?transport=tcp']);
    expect(new TurnCredentials({ secret: SECRET, host: '203.0.113.9', port: 3478, tlsPort: 0, credentialTtlSeconds: 60 }).issue().urls).toHaveLength(2);
  });
});

describe('the path a browser reports', () => {
  const report = (...entries: object[]) => new Map(entries.map((entry) => [(entry as { id: string }).id, entry])) as unknown as RTCStatsReport;
  const pair = { id: 'P', type: 'candidate-pair', localCandidateId: 'L', nominated: true, state: 'succeeded' };

  it("follows the transport's selected pair to its local candidate (Chromium)", () => {
    const transport = { id: 'T', type: 'transport', selectedCandidatePairId: 'P' };
    expect(selectedPath(report(transport, pair, { id: 'L', type: 'local-candidate', candidateType: 'host', protocol: 'udp' }))).toBe('udp');
    expect(selectedPath(report(transport, pair, { id: 'L', type: 'local-candidate', candidateType: 'host', protocol: 'tcp' }))).toBe('tcp');
    expect(selectedPath(report(transport, pair, { id: 'L', type: 'local-candidate', candidateType: 'srflx', protocol: 'udp' }))).toBe('udp');
    for (const relayProtocol of ['udp', 'tcp', 'tls'])
      expect(selectedPath(report(transport, pair, { id: 'L', type: 'local-candidate', candidateType: 'relay', protocol: 'udp', relayProtocol }))).toBe(`relay-${relayProtocol}`);
  });

  it('without a transport entry, the nominated pair that succeeded (Firefox); nothing before ICE has chosen', () => {
    expect(selectedPath(report(pair, { id: 'L', type: 'local-candidate', candidateType: 'relay', relayProtocol: 'tls' }))).toBe('relay-tls');
    expect(selectedPath(report({ ...pair, state: 'in-progress' }, { id: 'L', type: 'local-candidate', candidateType: 'host', protocol: 'udp' }))).toBeUndefined();
    expect(selectedPath(report())).toBeUndefined();
  });
});
