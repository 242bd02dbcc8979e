import { describe, expect, it } from 'vitest';
import { REQUEST_NAMES, requestSchemas } from '../../src/protocol/schemas.js';
import { fakeDtls, opusParameters } from '../../harness/rtp.js';

describe('inbound payload schemas', () => {
  it('covers every request of the event map', () => {
    expect(REQUEST_NAMES.sort()).toEqual(Object.keys(requestSchemas).sort());
  });

  it('accepts what a browser sends', () => {
    expect(requestSchemas.connectTransport.safeParse({ transportId: 't', dtlsParameters: fakeDtls }).success).toBe(true);
    const produce = { transportId: 't', kind: 'audio', rtpParameters: opusParameters(1), source: 'microphone' };
    expect(requestSchemas.produce.safeParse(produce).success).toBe(true);
  });

  it('bounds arrays and strings so no payload allocates without limit', () => {
    const many = { ...opusParameters(1), encodings: Array.from({ length: 50 }, (_, ssrc) => ({ ssrc })) };
    const produce = { transportId: 't', kind: 'audio', rtpParameters: many, source: 'microphone' };
    expect(requestSchemas.produce.safeParse(produce).success).toBe(false);
    expect(requestSchemas.join.safeParse({ token: 'x'.repeat(5000) }).success).toBe(false);
    expect(requestSchemas.consume.safeParse({ producerId: 'p'.repeat(65) }).success).toBe(false);
  });

  it('rejects unknown fields and wrong types', () => {
    expect(requestSchemas.leave.safeParse({ now: true }).success).toBe(false);
    expect(requestSchemas.createTransport.safeParse({ direction: 1 }).success).toBe(false);
    expect(requestSchemas.resumeConsumer.safeParse([]).success).toBe(false);
  });
});
