import { isDomainError, ReferenceUpload } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authentication } from '../auth/authenticate.js';
import type { AuthUser } from '../context.js';
import type { ReferenceLimits } from '../env.js';
import type { RateLimits } from '../rate-limits.js';
import { sendRestError } from '../rest/errors.js';
import { assertRoomForReference, uploadReference } from './service.js';

/**
 * POST /api/v1/references?tags=a,b&description=... with the image as the raw body (Content-Type
 * image/png, image/jpeg or image/webp; the bytes decide, not the header). GET /references/:id/file
 * serves one back to its owner.
 *
 * Everything that can refuse an upload without its body (credentials, the upload rate, the count cap,
 * a declared length over REFERENCE_MAX_BYTES) runs in onRequest, before Fastify reads a byte of it:
 * a stranger's 8 MB POST is answered 401 from its headers alone.
 */
export function registerReferenceRoutes(
  app: FastifyInstance,
  {
    db,
    storage,
    authenticate,
    limits,
    rateLimits,
  }: {
    db: Db;
    storage: ImageStorage;
    authenticate: (request: FastifyRequest) => Promise<Authentication>;
    limits: ReferenceLimits;
    rateLimits: Pick<RateLimits, 'consumeReferenceUpload'>;
  },
) {
  const uploaders = new WeakMap<FastifyRequest, AuthUser>();
  const tooLarge = (reply: FastifyReply) =>
    reply.code(413).send({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: `a reference may be at most ${limits.maxBytes} bytes (REFERENCE_MAX_BYTES)`,
        details: { field: 'body', limit: 'REFERENCE_MAX_BYTES', maximum: limits.maxBytes },
      },
    });

  app.register(async (scope) => {
    // Raw bytes for any image/* body, capped; the sniffing happens in the service.
    scope.addContentTypeParser(
      /^image\/[\w.+-]+$/,
      { parseAs: 'buffer', bodyLimit: limits.maxBytes },
      (_request, body, done) => done(null, body),
    );
    scope.setErrorHandler((error, request, reply) =>
      (error as { statusCode?: number }).statusCode === 413 ? tooLarge(reply) : sendRestError(error, request, reply),
    );
    scope.post(
      '/api/v1/references',
      {
        onRequest: async (request, reply) => {
          const { user, error: authError } = await authenticate(request);
          if (!user)
            return reply.code(401).send({
              error: { code: 'UNAUTHORIZED', message: authError ?? 'sign in or send an API key', details: null },
            });
          if (Number(request.headers['content-length'] ?? 0) > limits.maxBytes) return tooLarge(reply);
          await rateLimits.consumeReferenceUpload(user.id);
          await assertRoomForReference(db, user.id, limits);
          uploaders.set(request, user);
        },
      },
      async (request, reply) => {
        const user = uploaders.get(request)!;
        const query = ReferenceUpload.safeParse(request.query);
        if (!query.success) return sendRestError(query.error, request, reply);
        if (!Buffer.isBuffer(request.body)) {
          return reply.code(415).send({
            error: {
              code: 'UNSUPPORTED_MEDIA_TYPE',
              message: 'send the image as the body with Content-Type image/png, image/jpeg or image/webp',
              details: { field: 'body' },
            },
          });
        }
        try {
          const reference = await uploadReference({ db, storage, user, body: request.body, limits, ...query.data });
          return reply.code(201).send(reference);
        } catch (error) {
          if (isDomainError(error) && error.details?.reason === 'format')
            return reply
              .code(415)
              .send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: error.message, details: error.details } });
          return sendRestError(error, request, reply);
        }
      },
    );
  });

  app.get('/references/:id/file', async (request, reply) => {
    const { user, error: authError } = await authenticate(request);
    if (!user)
      return reply
        .code(401)
        .send({ error: { code: 'UNAUTHORIZED', message: authError ?? 'sign in or send an API key' } });
    const id = z
      .string()
      .uuid()
      .safeParse((request.params as { id?: string }).id);
    const reference = id.success ? await db.reference.findFirst({ where: { id: id.data, userId: user.id } }) : null;
    const stored = reference ? await storage.get(reference.storageKey) : null;
    if (!reference || !stored)
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'reference not found' } });
    return reply.type(reference.mime).header('Cache-Control', 'private, max-age=31536000, immutable').send(stored.body);
  });
}
