import net from 'node:net';

/**
 * The client's address as the per-address limits see it. Behind `trustedHops` proxies (a load balancer, an ingress)
 * the address is read from the forwarding header counted from the right: each trusted proxy appends the address it
 * received from, so the entries to the left of theirs are whatever the client chose to send. With no trusted hop,
 * the connection's own address.
 */
export function clientAddress(socketAddress: string, forwardedFor: string | undefined, trustedHops: number): string {
  if (trustedHops === 0) return socketAddress;
  const chain = [...(forwardedFor ?? '').split(',').map((entry) => entry.trim()).filter(Boolean), socketAddress];
  return chain[Math.max(0, chain.length - 1 - trustedHops)]!;
}

/**
 * The key an address is limited under: an IPv4 address as it is, an IPv6 address by its /64 (one subscriber's
 * network: a client holding a /64 has 2^64 addresses to rotate through), an IPv4-mapped IPv6 address as IPv4.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!net.isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}
