import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authentication } from './auth/authenticate.js';
import { MAX_SIGNED_URL_TTL_SECONDS, type UrlSigner } from './signed-urls.js';

const Params = z.object({ id: z.string().uuid() });
const SignedQuery = z.object({ expires: z.string().optional(), signature: z.string().optional() });
const SignRequest = z.object({
  ttlSeconds: z.coerce.number().int().min(1).max(MAX_SIGNED_URL_TTL_SECONDS).default(3600),
});

/**
 * GET /inputs/:id and /inputs/:id/thumbnail: one of a job's inputs (job_inputs row), for the job's owner
 * (an admin: any), or by a signed link like images (signed-urls.ts). It reads the storage key the job
 * copied at submit, so it keeps working after the asset it named is deleted.
 */
export function registerInputFileRoutes(
  app: FastifyInstance,
  {
    db,
    storage,
    authenticate,
    signer,
  }: {
    db: Db;
    storage: ImageStorage;
    authenticate: (request: FastifyRequest) => Promise<Authentication>;
    signer: UrlSigner;
  },
) {
  const serve = (variant: 'file' | 'thumbnail') => async (request: FastifyRequest, reply: FastifyReply) => {
    const params = Params.safeParse(request.params);
    const query = SignedQuery.safeParse(request.query);
    const signed = query.success && query.data.signature !== undefined;
    let owner: { userId: string } | undefined;
    if (signed) {
      if (!signer.verify(request.url.split('?')[0]!, query.data.expires, query.data.signature))
        return reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'the link is invalid or has expired' } });
    } else {
      const { user, error } = await authenticate(request);
      if (!user)
        return reply
          .code(401)
          .send({ error: { code: 'UNAUTHORIZED', message: error ?? 'sign in or send an API key' } });
      if (user.role !== 'admin') owner = { userId: user.id };
    }
    const input = params.success
      ? await db.jobInput.findFirst({
          where: { id: params.data.id, ...(owner ? { job: owner } : {}) },
          select: { storageKey: true, thumbnailKey: true, mime: true },
        })
      : null;
    const key = variant === 'file' ? input?.storageKey : input?.thumbnailKey;
    const stored = key ? await storage.get(key) : null;
    if (!input || !stored) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'input not found' } });
    return reply
      .type(variant === 'file' ? input.mime : stored.contentType)
      .header('Cache-Control', 'private, max-age=31536000, immutable')
      .send(stored.body);
  };
  app.get('/inputs/:id', serve('file'));
  app.get('/inputs/:id/thumbnail', serve('thumbnail'));

  /** POST /inputs/:id/signed-url?ttlSeconds=3600 - links to one of the caller's job inputs that work without signing in. */
  app.post('/inputs/:id/signed-url', async (request, reply) => {
    const params = Params.safeParse(request.params);
    const ttl = SignRequest.safeParse(request.query);
    if (!ttl.success)
      return reply
        .code(400)
        .send({ error: { code: 'BAD_REQUEST', message: `ttlSeconds must be 1-${MAX_SIGNED_URL_TTL_SECONDS}` } });
    const { user, error } = await authenticate(request);
    if (!user)
      return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: error ?? 'sign in or send an API key' } });
    const input = params.success
      ? await db.jobInput.findFirst({
          where: { id: params.data.id, job: { userId: user.id } },
          select: { id: true, thumbnailKey: true },
        })
      : null;
    if (!input) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'input not found' } });
    const expiresAt = new Date(Date.now() + ttl.data.ttlSeconds * 1000);
    return {
      url: signer.sign(`/inputs/${input.id}`, expiresAt),
      thumbnailUrl: input.thumbnailKey ? signer.sign(`/inputs/${input.id}/thumbnail`, expiresAt) : null,
      expiresAt: expiresAt.toISOString(),
    };
  });
}
