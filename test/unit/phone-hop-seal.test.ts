// A forwarded call's sealed PIN: it opens only for the call it was made for (its Call-ID and From tag), only when it
// comes from the address of the node that sealed it, only once in the cluster (its nonce is remembered until it
// expires), and not after it expires.
import { expect, it } from 'vitest';
import { PhoneHops, HOP_HEADER } from '../../src/phone/phone-hops.js';
import type { SipMessage } from '../../src/phone/sip-wire.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';
import { MemoryKeyValueStore } from '../../src/store/memory-kv.js';

const keys = new PrivacyKeys('a'.repeat(48));
/** A node receiving forwarded calls, in a cluster where node-b announced its bridge at 127.0.0.2. */
async function receivingNode(): Promise<PhoneHops> {
  const kv = new MemoryKeyValueStore();
  await kv.set('circle:phone:node:node-b', '127.0.0.2');
  return new PhoneHops(undefined as never, keys, kv, undefined as never, undefined as never, undefined as never);
}

function invite(callId: string, fromTag: string, seal: string): SipMessage {
  return {
    method: 'INVITE',
    uri: 'sip:circle@127.0.0.1',
    version: '2.0',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: {} }],
      from: { uri: 'sip:circle@127.0.0.2', params: { tag: fromTag } },
      to: { uri: 'sip:circle@127.0.0.1', params: {} },
      'call-id': callId,
      cseq: { seq: 1, method: 'INVITE' },
      [HOP_HEADER]: seal,
    },
  };
}

/** A seal as the forwarding node makes it (phone-hops.ts `forward`). */
const seal = (callId: string, fromTag: string, until = Date.now() + 30_000, nonce = 'n-1') =>
  keys.seal(JSON.stringify({ pin: '12345678901234', until, nonce, node: 'node-b' }), `phone hop:${callId}:${fromTag}`);

it('opens once, for its own Call-ID and From tag, from its own node', async () => {
  const node = await receivingNode();
  const sealed = seal('call-1', 'tag-1');
  await expect(node.pinOf(invite('call-1', 'tag-2', sealed), '127.0.0.2')).rejects.toThrow();
  await expect(node.pinOf(invite('call-2', 'tag-1', sealed), '127.0.0.2')).rejects.toThrow();
  // The same INVITE from another address than node-b's (someone who saw the hop, sending first): refused.
  await expect(node.pinOf(invite('call-1', 'tag-1', sealed), '127.0.0.66')).rejects.toThrow('a phone hop from another address than its node’s');
  expect(await node.pinOf(invite('call-1', 'tag-1', sealed), '127.0.0.2')).toBe('12345678901234');
  // The same INVITE again, replayed: refused.
  await expect(node.pinOf(invite('call-1', 'tag-1', sealed), '127.0.0.2')).rejects.toThrow('a phone hop seen before');
});

it('refuses an expired seal, and answers nothing for an INVITE with none', async () => {
  const node = await receivingNode();
  await expect(node.pinOf(invite('call-3', 'tag-3', seal('call-3', 'tag-3', Date.now() - 1, 'n-3')), '127.0.0.2')).rejects.toThrow('an expired phone hop');
  const plain = invite('call-4', 'tag-4', '');
  delete plain.headers[HOP_HEADER];
  expect(await node.pinOf(plain, '127.0.0.2')).toBeUndefined();
});
