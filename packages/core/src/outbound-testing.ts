/**
 * A DNS server on 127.0.0.1 for tests: answers A and AAAA queries from a table that the test changes
 * as it goes (a name that resolves to a public address at submit and to a private one at delivery is
 * DNS rebinding). Speaks the real wire format (dns-packet), so the guard's c-ares resolver is the one
 * used in production. `@darkroom/core/outbound/testing`.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import { trackResource } from './tracked-resources.js';

export interface FakeDnsServer {
  /** `127.0.0.1:port`, for `dnsServers` / DNS_SERVERS. */
  readonly server: string;
  /** Names to addresses; a missing name answers NXDOMAIN. */
  readonly records: Map<string, string[]>;
  /** Names asked for, in order. */
  readonly asked: string[];
  close(): Promise<void>;
}

export async function startFakeDnsServer(records: Record<string, string[]> = {}): Promise<FakeDnsServer> {
  const table = new Map(Object.entries(records));
  const asked: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    asked.push(question.name);
    const addresses = table.get(question.name.toLowerCase());
    const family = question.type === 'A' ? 4 : question.type === 'AAAA' ? 6 : 0;
    const answers = (addresses ?? [])
      .filter((address) => isIP(address) === family)
      .map((address) => ({
        type: question.type as 'A' | 'AAAA',
        name: question.name,
        ttl: 0,
        class: 'IN' as const,
        data: address,
      }));
    const response = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (addresses ? 0 : 3), // rcode 3: NXDOMAIN
      questions: [question],
      answers,
    });
    socket.send(response, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const server = `127.0.0.1:${socket.address().port}`;
  return {
    server,
    records: table,
    asked,
    close: trackResource(
      `fake DNS server ${server}`,
      () => new Promise<void>((resolve) => socket.close(() => resolve())),
    ),
  };
}
