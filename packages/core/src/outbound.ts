/**
 * Outbound requests to addresses a user chose (webhooks today; image-input and engine URLs next): one
 * guard that resolves the host, classifies every address it resolves to, answers the one address to
 * connect to, and connects to exactly that address without following redirects. Used by the API at
 * submit and by the worker at delivery, so a name that resolves elsewhere later (DNS rebinding) is
 * caught at delivery, and the request cannot be steered after the check.
 *
 * Classification is ipaddr.js's (every IPv6 spelling, IPv4-mapped addresses unwrapped); only global
 * unicast is public. Names are resolved with c-ares (`dns.Resolver`), not `getaddrinfo`: a slow DNS
 * server never holds the libuv thread pool that file and crypto work share, and every lookup has a
 * timeout. Node-only: import it from `@darkroom/core/outbound`, never from the web app.
 */
import { Resolver } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * DNS_SERVERS (API and workers alike): the DNS servers the guard asks, comma-separated `host` or
 * `host:port`; unset, the system's (/etc/resolv.conf).
 */
export const DnsServersEnv = z
  .string()
  .optional()
  .transform((text) =>
    text
      ?.split(',')
      .map((server) => server.trim())
      .filter(Boolean),
  )
  .refine(
    (servers) => !servers || servers.every((server) => isIP(dnsServerHost(server)) !== 0),
    'name DNS servers by address: host or host:port, [v6]:port',
  );

function dnsServerHost(server: string): string {
  if (server.startsWith('[')) return server.slice(1, server.indexOf(']'));
  return isIP(server) ? server : server.replace(/:\d+$/, '');
}

/** IPv6 space allocated as global unicast (2000::/3); everything outside it is special or unassigned. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * What kind of address `ip` is: `public`, or the name of the range that makes it private (`loopback`,
 * `private`, `linkLocal`, `carrierGradeNat`, `uniqueLocal`, `multicast`, `reserved` (documentation,
 * benchmarking, 240/4), `rfc6052` (NAT64), `6to4`, `teredo`, `ipv4Mapped:loopback`, ...), or
 * `invalid` when it is not an address.
 */
export function classifyAddress(ip: string): string {
  const text = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(text)) return 'invalid';
  const address = ipaddr.parse(text);
  if (address.kind() === 'ipv4') return address.range() === 'unicast' ? 'public' : address.range();
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) {
    const inner = classifyAddress(v6.toIPv4Address().toString());
    return inner === 'public' ? 'public' : `ipv4Mapped:${inner}`;
  }
  const range = v6.range();
  if (range !== 'unicast') return range;
  // ::a.b.c.d (IPv4-compatible, deprecated) and unassigned space classify as "unicast" in ipaddr.js.
  return v6.match(GLOBAL_UNICAST_V6) ? 'public' : 'unassigned';
}

export interface OutboundGuardOptions {
  /** Let private addresses through (tests, a trusted internal network). Default false. */
  allowPrivate?: boolean;
  /** DNS servers (`host` or `host:port`) instead of the system's. */
  dnsServers?: string[];
  /** How long one name may take to resolve, in ms. Default 2000. */
  dnsTimeoutMs?: number;
}

export type OutboundTarget = { address: string; problem?: never } | { problem: string; address?: never };

export interface OutboundGuard {
  /**
   * The address a request to `url` may connect to, or why it may not be sent. Every address the host
   * resolves to must be public (unless private targets are allowed); `field` names the URL in problems.
   */
  check(url: string, field: string): Promise<OutboundTarget>;
  /**
   * POSTs `body` to `url`, connected to `address` (from `check`) without resolving the host again;
   * the host still names the request (Host header, TLS server name and certificate). Answers the
   * status code; the answer's body is discarded and a redirect is not followed.
   */
  post(
    url: string,
    address: string,
    request: { headers: Record<string, string>; body: string; timeoutMs: number },
  ): Promise<number>;
}

export class OutboundTimeout extends Error {}

export function makeOutboundGuard({
  allowPrivate = false,
  dnsServers,
  dnsTimeoutMs = 2000,
}: OutboundGuardOptions = {}): OutboundGuard {
  const resolver = new Resolver({ timeout: dnsTimeoutMs, tries: 2 });
  if (dnsServers?.length) resolver.setServers(dnsServers);

  const resolveName = async (hostname: string): Promise<string[]> => {
    // RFC 6761: localhost names are this machine, whatever a DNS server says of them.
    if (hostname === 'localhost' || hostname.endsWith('.localhost')) return ['127.0.0.1'];
    const answers = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const addresses = answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
    if (addresses.length > 0) return addresses;
    const failure = answers.find((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
    throw failure ? (failure.reason as Error) : new Error('no addresses');
  };

  return {
    async check(url, field) {
      if (!URL.canParse(url)) return { problem: `${field} is not a URL` };
      // The WHATWG parser has already turned every IPv4 spelling (decimal, hex, octal, short) into
      // dotted quads and IPv6 into its canonical form; a trailing dot is one more name to resolve.
      const hostname = new URL(url).hostname
        .replace(/^\[|\]$/g, '')
        .replace(/\.$/, '')
        .toLowerCase();
      let addresses: string[];
      if (isIP(hostname)) {
        addresses = [hostname];
      } else {
        try {
          addresses = await resolveName(hostname);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          return { problem: `${field}'s host ${hostname} does not resolve (${code})` };
        }
      }
      if (!allowPrivate) {
        for (const address of addresses) {
          const kind = classifyAddress(address);
          if (kind !== 'public')
            return { problem: `${field} must point to a public address; ${hostname} is ${address} (${kind})` };
        }
      }
      return { address: addresses[0]! };
    },

    post(url, address, { headers, body, timeoutMs }) {
      const target = new URL(url);
      const family = isIP(address);
      const pinned: LookupFunction = (_hostname, options, callback) => {
        if (options.all)
          return (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [
            { address, family },
          ]);
        callback(null, address, family);
      };
      const transport = target.protocol === 'https:' ? https : http;
      return new Promise((resolve, reject) => {
        const request = transport.request(
          target,
          {
            method: 'POST',
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            lookup: pinned,
            agent: false,
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
            response.on('error', reject);
          },
        );
        // The whole exchange, connect to answer, must fit in timeoutMs.
        const timer = setTimeout(
          () => request.destroy(new OutboundTimeout(`no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
        request.on('close', () => clearTimeout(timer));
        request.on('error', reject);
        request.end(body);
      });
    },
  };
}
