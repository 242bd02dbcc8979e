import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';
import { MemoryKeyValueStore } from '../../src/store/memory-kv.js';
import { SealedStore } from '../../src/store/sealed-store.js';

const keys = new PrivacyKeys('a cluster secret of at least 32 characters');
const stranger = new PrivacyKeys('another cluster, another secret, 32+ chars');
const invalid = { code: 'STORED_STATE_INVALID' };

describe('privacy keys', () => {
  it('seals any text so that only the same secret and the same context open it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ minLength: 1 }), (text, context) => {
        const sealed = keys.seal(text, context);
        expect(keys.open(sealed, context, 'value')).toBe(text);
        expect(() => keys.open(sealed, `${context}x`, 'value')).toThrow(expect.objectContaining(invalid));
        expect(() => stranger.open(sealed, context, 'value')).toThrow(expect.objectContaining(invalid));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a sealed value altered anywhere, truncated, or written in clear', () => {
    const sealed = keys.seal('{"displayName":"Tobias"}', 'k');
    expect(keys.seal('{"displayName":"Tobias"}', 'k')).not.toBe(sealed); // a fresh IV each time
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    for (let at = 0; at < bytes.length; at += 1) {
      const altered = Buffer.from(bytes);
      altered[at] = altered[at]! ^ 0x01; // one bit, in the IV, the tag or the body
      expect(() => keys.open(`s1.${altered.toString('base64url')}`, 'k', 'value')).toThrow(expect.objectContaining(invalid));
    }
    for (const cut of [sealed.slice(0, -4), sealed.slice(0, 20), 's1.']) expect(() => keys.open(cut, 'k', 'value')).toThrow(expect.objectContaining(invalid));
    expect(() => keys.open('{"displayName":"Tobias"}', 'k', 'value')).toThrow(expect.objectContaining(invalid));
  });

  it('signs deterministically (a lease compared in place) and refuses a signed value altered or moved', () => {
    const signed = keys.sign('{"nodeId":"a"}', 'lease');
    expect(keys.sign('{"nodeId":"a"}', 'lease')).toBe(signed);
    expect(keys.open(signed, 'lease', 'lease')).toBe('{"nodeId":"a"}');
    expect(() => keys.open(signed.replace('"a"', '"b"'), 'lease', 'lease')).toThrow(expect.objectContaining(invalid));
    expect(() => keys.open(signed, 'other lease', 'lease')).toThrow(expect.objectContaining(invalid));
    expect(() => stranger.open(signed, 'lease', 'lease')).toThrow(expect.objectContaining(invalid));
  });

  it('names keys and log references by keyed HMAC: stable, secret-dependent, not the id', () => {
    expect(keys.storeKeyName('circle:room:dbt-7:state')).toBe(keys.storeKeyName('circle:room:dbt-7:state'));
    expect(keys.storeKeyName('circle:room:dbt-7:state')).not.toContain('dbt');
    expect(keys.storeKeyName('circle:room:dbt-7:state')).not.toBe(stranger.storeKeyName('circle:room:dbt-7:state'));
    expect(keys.logRef('dbt-7')).toMatch(/^[0-9a-f]{16}$/);
    expect(keys.logRef('dbt-7')).not.toBe(stranger.logRef('dbt-7'));
  });
});

describe('the sealed store', () => {
  const open = () => {
    const inner = new MemoryKeyValueStore();
    return { inner, store: new SealedStore(inner, keys, createLogger('silent', keys.logRef)) };
  };

  it('keeps the store semantics: get/set/del, claims and releases compared in place', async () => {
    const { store } = open();
    await store.set('circle:room:r:state', 'state');
    expect(await store.get('circle:room:r:state')).toBe('state');
    await store.del('circle:room:r:state');
    expect(await store.get('circle:room:r:state')).toBeUndefined();
    expect(await store.claim('lease', 'node-a', 10_000)).toBe('node-a');
    expect(await store.claim('lease', 'node-b', 10_000)).toBe('node-a');
    expect(await store.claim('lease', 'node-a', 10_000)).toBe('node-a');
    await store.release('lease', 'node-b'); // not b's to release
    expect(await store.claim('lease', 'node-b', 10_000)).toBe('node-a');
    await store.release('lease', 'node-a');
    expect(await store.claim('lease', 'node-b', 10_000)).toBe('node-b');
  });

  it('keeps sets of signed members under a hashed name, and leaves out a member added without the secret', async () => {
    const { inner, store } = open();
    await store.addMember('circle:nodes', 'node-a');
    await store.addMember('circle:nodes', 'node-b');
    await store.addMember('circle:nodes', 'node-a');
    await inner.addMember(keys.storeKeyName('circle:nodes'), 'node-forged');
    expect((await store.members('circle:nodes')).sort()).toEqual(['node-a', 'node-b']);
    await store.removeMember('circle:nodes', 'node-a');
    expect(await store.members('circle:nodes')).toEqual(['node-b']);
    expect(await inner.members('circle:nodes')).toEqual([]);
  });

  it('delivers sealed messages, and drops a message published without the secret', async () => {
    const { inner, store } = open();
    const heard: string[] = [];
    store.subscribe('commands', (message) => heard.push(message));
    await inner.publish('commands', '{"roomId":"r","to":"node-a"}');
    await store.publish('commands', 'genuine');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual(['genuine']);
  });
});
