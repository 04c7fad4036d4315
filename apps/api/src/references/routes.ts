import { isDomainError, MAX_REFERENCE_BYTES, ReferenceUpload } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authentication } from '../auth/authenticate.js';
import { uploadReference } from './service.js';

/**
 * POST /api/v1/references?tags=a,b&description=... with the image as the raw body (Content-Type
 * image/png, image/jpeg or image/webp; the bytes decide, not the header). GET /references/:id/file
 * serves one back to its owner.
 */
export function registerReferenceRoutes(
  app: FastifyInstance,
  {
    db,
    storage,
    authenticate,
  }: { db: Db; storage: ImageStorage; authenticate: (request: FastifyRequest) => Promise<Authentication> },
) {
  app.register(async (scope) => {
    // Raw bytes for any image/* body, capped; the sniffing happens in the service.
    scope.addContentTypeParser(
      /^image\/[\w.+-]+$/,
      { parseAs: 'buffer', bodyLimit: MAX_REFERENCE_BYTES },
      (_request, body, done) => done(null, body),
    );
    scope.post('/api/v1/references', async (request, reply) => {
      const { user, error: authError } = await authenticate(request);
      if (!user)
        return reply
          .code(401)
          .send({ error: { code: 'UNAUTHORIZED', message: authError ?? 'sign in or send an API key' } });
      const query = ReferenceUpload.safeParse(request.query);
      if (!query.success) {
        return reply
          .code(400)
          .send({ error: { code: 'BAD_REQUEST', message: z.prettifyError(query.error), issues: query.error.issues } });
      }
      if (!Buffer.isBuffer(request.body)) {
        return reply.code(415).send({
          error: {
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message: 'send the image as the body with Content-Type image/png, image/jpeg or image/webp',
          },
        });
      }
      try {
        const reference = await uploadReference({ db, storage, user, body: request.body, ...query.data });
        return reply.code(201).send(reference);
      } catch (error) {
        if (isDomainError(error))
          return reply
            .code(error.details?.field === 'body' ? 415 : 400)
            .send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: error.message } });
        throw error;
      }
    });
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
