/**
 * DNS rebinding: a page on attacker.example whose name is made to resolve to 127.0.0.1 talks to a
 * Darkroom on this machine as the same origin, so neither the origin check nor SameSite stops it. Its
 * requests still say `Host: attacker.example`: anything not addressed to a name Darkroom is served as
 * is refused with 421 before routing (so the first-account-is-admin sign-up cannot be taken that way).
 */
import os from 'node:os';
import type { FastifyInstance } from 'fastify';

/** Names the server answers to: ALLOWED_HOSTS, PUBLIC_URL's host, else what it listens on and localhost. */
export function defaultAllowedHosts({
  listenHost,
  publicUrl,
  allowedHosts,
}: {
  listenHost: string;
  publicUrl?: string | undefined;
  allowedHosts: string[];
}): string[] | 'any' {
  if (allowedHosts.includes('*')) return 'any';
  const hosts = new Set(allowedHosts.map(normalizeHost));
  if (publicUrl) hosts.add(normalizeHost(new URL(publicUrl).hostname));
  if (allowedHosts.length > 0 || publicUrl) return [...hosts];
  for (const name of ['localhost', '127.0.0.1', '::1']) hosts.add(name);
  if (listenHost === '0.0.0.0' || listenHost === '::') {
    // Listening everywhere: every address of this machine is one it may be reached at.
    for (const addresses of Object.values(os.networkInterfaces())) {
      for (const address of addresses ?? []) hosts.add(normalizeHost(address.address));
    }
  } else {
    hosts.add(normalizeHost(listenHost));
  }
  return [...hosts];
}

function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

function isAllowed(hostname: string, allowed: readonly string[]): boolean {
  const host = normalizeHost(hostname);
  return (
    allowed.includes(host) ||
    host.endsWith('.localhost') ||
    allowed.some((entry) => entry.startsWith('.') && host.endsWith(entry))
  );
}

export function registerHostCheck(app: FastifyInstance, allowed: readonly string[] | 'any') {
  if (allowed === 'any') return;
  app.addHook('onRequest', async (request, reply) => {
    // request.hostname: the Host header without its port (X-Forwarded-Host behind a trusted proxy).
    if (request.headers.host && isAllowed(request.hostname, allowed)) return;
    return reply.code(421).send({
      error: {
        code: 'MISDIRECTED_REQUEST',
        message: `this server does not answer to ${request.headers.host ? `the host ${request.hostname}` : 'a request without a Host'}; set PUBLIC_URL or ALLOWED_HOSTS`,
      },
    });
  });
}
