import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authentication } from './auth/authenticate.js';

const ImageParams = z.object({ id: z.string().uuid() });

/**
 * GET /images/:id - the stored bytes of one of the caller's images (an admin's: any image). Images never change once stored,
 * so they are cached for a year, privately (they belong to one user).
 */
export function registerImageRoutes(
  app: FastifyInstance,
  { db, storage, authenticate }: { db: Db; storage: ImageStorage; authenticate: (request: FastifyRequest) => Promise<Authentication> },
) {
  app.get('/images/:id', async (request, reply) => {
    const params = ImageParams.safeParse(request.params);
    const { user, error: authError } = await authenticate(request);
    if (!user) return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: authError ?? 'sign in or send an API key' } });
    const image = params.success
      ? await db.image.findFirst({
          // Owners see their images; admins may see any job's.
          where: { id: params.data.id, status: 'succeeded', ...(user.role === 'admin' ? {} : { job: { userId: user.id } }) },
          select: { id: true, storageKey: true, mime: true, bytes: true },
        })
      : null;
    const notFound = { error: { code: 'NOT_FOUND', message: 'image not found' } };
    if (!image?.storageKey) return reply.code(404).send(notFound);

    const etag = `"${image.id}"`;
    reply.header('ETag', etag).header('Cache-Control', 'private, max-age=31536000, immutable');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    const stored = await storage.get(image.storageKey);
    if (!stored) return reply.code(404).send(notFound);
    return reply.type(image.mime ?? stored.contentType).header('Content-Length', stored.bytes).send(stored.body);
  });
}
