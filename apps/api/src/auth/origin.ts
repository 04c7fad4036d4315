/**
 * Cross-site request protection: a state-changing request (anything but GET/HEAD/OPTIONS) that a
 * browser sent from another site is refused before it reaches a route, so a page elsewhere cannot use
 * a signed-in visitor's cookie (SameSite=Lax already keeps it off cross-site POSTs; this is the second
 * lock, and it also covers log-in CSRF). Programs that send no Origin (curl, SDKs) are not affected.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isCrossSite(request: FastifyRequest, trustedOrigins: readonly string[]): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (trustedOrigins.includes(origin)) return false;
    try {
      // request.host is the Host header, or X-Forwarded-Host behind a trusted proxy (TRUST_PROXY).
      return new URL(origin).host !== request.host;
    } catch {
      // "null" (sandboxed frames, some redirects) or garbage: not provably ours.
      return true;
    }
  }
  const site = request.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}

export function registerOriginCheck(app: FastifyInstance, trustedOrigins: readonly string[]) {
  app.addHook('onRequest', async (request, reply) => {
    if (!isCrossSite(request, trustedOrigins)) return;
    return reply
      .code(403)
      .send({ error: { code: 'FORBIDDEN', message: 'cross-site requests may not change anything here' } });
  });
}
