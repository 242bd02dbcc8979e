// The client's address behind trusted proxies (counted from the right) and the key it is limited under.
import { expect, it } from 'vitest';
import { addressKey, clientAddress } from '../../src/limits/client-address.js';

it('reads the address the nearest trusted proxies saw; entries the client sent further left do not count', () => {
  expect(clientAddress('127.0.0.1', '6.6.6.6', 0)).toBe('127.0.0.1');
  expect(clientAddress('10.0.0.2', '198.51.100.7', 1)).toBe('198.51.100.7');
  expect(clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.7', 1)).toBe('198.51.100.7');
  expect(clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.7, 10.0.0.1', 2)).toBe('198.51.100.7');
  // Fewer entries than hops (a client reaching the inner proxy directly): the leftmost there is.
  expect(clientAddress('10.0.0.2', undefined, 2)).toBe('10.0.0.2');
});

it('limits IPv6 by /64, IPv4 as it is, IPv4-mapped IPv6 as IPv4', () => {
  expect(addressKey('198.51.100.7')).toBe('198.51.100.7');
  expect(addressKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
  expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
  expect(addressKey('2001:0db8:0001:0002:ffff:0:0:3')).toBe('2001:db8:1:2::/64');
  expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(addressKey('::1')).toBe('0:0:0:0::/64');
  expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
});
