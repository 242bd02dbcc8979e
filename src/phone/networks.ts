import net from 'node:net';

/** A set of CIDR blocks (IPv4 and IPv6), asked whether an address lies in one of them. */
export class Networks {
  private readonly list = new net.BlockList();

  constructor(blocks: string[]) {
    for (const block of blocks) {
      const [address, prefix] = block.split('/') as [string, string];
      this.list.addSubnet(address, Number(prefix), net.isIPv6(address) ? 'ipv6' : 'ipv4');
    }
  }

  contains(address: string): boolean {
    if (net.isIP(address) === 0) return false;
    return this.list.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
  }
}
