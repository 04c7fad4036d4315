import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, makeOutboundGuard } from './outbound.js';
import { startFakeDnsServer, type FakeDnsServer } from './outbound-testing.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['[::1]', 'loopback'],
    ['fd00::1', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'ipv4Mapped:loopback'],
    ['::ffff:7f00:1', 'ipv4Mapped:loopback'],
    ['::FFFF:A9FE:A9FE', 'ipv4Mapped:linkLocal'],
    ['::ffff:10.0.0.1', 'ipv4Mapped:private'],
    ['0:0:0:0:0:ffff:7f00:0001', 'ipv4Mapped:loopback'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['64:ff9b::10.0.0.1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['2001::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
    ['::7f00:1', 'unassigned'],
    ['::127.0.0.1', 'ipv4Mapped:loopback'], // ipaddr.js reads the IPv4-compatible spelling as mapped
    ['100::1', 'discard'],
    ['not an address', 'invalid'],
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
  ])('%s is %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });
});

describe('the outbound guard', () => {
  let dns: FakeDnsServer;
  beforeAll(async () => {
    dns = await startFakeDnsServer({
      'fine.example': ['93.184.216.34', '2606:4700::1111'],
      'sneaky.example': ['93.184.216.34', '10.0.0.5'],
      'mapped.example': ['::ffff:127.0.0.1'],
      'metadata.example': ['169.254.169.254'],
    });
  });
  afterAll(() => dns?.close());

  const guard = () => makeOutboundGuard({ dnsServers: [dns.server], dnsTimeoutMs: 1000 });

  it.each([
    'http://[::ffff:127.0.0.1]:9/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:a9fe:a9fe]/latest/meta-data',
    'http://[::ffff:10.0.0.1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[2002:7f00:1::]/',
    'http://[::1]/',
    'http://[fe80::1]/',
    'http://[::]/',
    'http://127.0.0.1/',
    'http://127.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://0/',
    'http://10.0.0.1/',
    'http://169.254.169.254/',
    'http://100.64.0.1/',
    'http://192.0.2.1/',
    'http://localhost/',
    'http://LOCALHOST./',
    'http://api.localhost/',
    'http://sneaky.example/',
    'http://SNEAKY.example./',
    'http://mapped.example/',
    'http://metadata.example/',
  ])('refuses %s, naming the field and the range', async (url) => {
    const target = await guard().check(url, 'webhookUrl');
    expect(target.problem).toMatch(/^webhookUrl must point to a public address; .+ \(\w+(:\w+)?\)$/);
  });

  it('answers the first public address of a public name, and resolves it once per check', async () => {
    const before = dns.asked.length;
    expect(await guard().check('https://fine.example:8443/hook', 'webhookUrl')).toEqual({ address: '93.184.216.34' });
    expect(dns.asked.slice(before).sort()).toEqual(['fine.example', 'fine.example']); // A and AAAA
  });

  it('says a name that does not resolve does not, and lets private targets through when allowed', async () => {
    expect((await guard().check('https://nowhere.example/', 'requests.3.webhookUrl')).problem).toMatch(
      /^requests\.3\.webhookUrl's host nowhere\.example does not resolve \(E\w+\)$/,
    );
    const open = makeOutboundGuard({ allowPrivate: true, dnsServers: [dns.server] });
    expect(await open.check('http://sneaky.example/', 'webhookUrl')).toEqual({ address: '93.184.216.34' });
    expect(await open.check('http://[::1]:9/', 'webhookUrl')).toEqual({ address: '::1' });
  });

  it('gives up on a DNS server that never answers within its timeout', async () => {
    // A UDP port nothing answers on: the resolver times out instead of waiting for ever.
    const silent = makeOutboundGuard({ dnsServers: ['127.0.0.1:9'], dnsTimeoutMs: 200 });
    expect((await silent.check('https://fine.example/', 'webhookUrl')).problem).toMatch(/does not resolve/);
  });
});
