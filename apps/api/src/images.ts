import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuthUser } from './context.js';

const ImageParams = z.object({ id: z.string().uuid() });

/**
 * GET /images/:id - the stored bytes of one of the caller's images, and GET /images/:id/thumbnail its
 * webp thumbnail. Images never change once stored, so both are cached for a year, privately (they
 * belong to one user).
 */
export function registerImageRoutes(
  app: FastifyInstance,
  { db, storage, authenticate }: { db: Db; storage: ImageStorage; authenticate: () => Promise<AuthUser | null> },
) {
  const serve = (variant: 'image' | 'thumbnail') => async (request: FastifyRequest, reply: FastifyReply) => {
    const params = ImageParams.safeParse(request.params);
    const user = await authenticate();
    if (!user) return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'sign in or send an API key' } });
    const image = params.success
      ? await db.image.findFirst({
          where: { id: params.data.id, status: 'succeeded', job: { userId: user.id } },
          select: { id: true, storageKey: true, thumbnailKey: true, mime: true, bytes: true },
        })
      : null;
    const notFound = { error: { code: 'NOT_FOUND', message: variant === 'image' ? 'image not found' : 'thumbnail not found' } };
    const key = variant === 'image' ? image?.storageKey : image?.thumbnailKey;
    if (!image || !key) return reply.code(404).send(notFound);

    const etag = variant === 'image' ? `"${image.id}"` : `"${image.id}-thumb"`;
    reply.header('ETag', etag).header('Cache-Control', 'private, max-age=31536000, immutable');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    const stored = await storage.get(key);
    if (!stored) return reply.code(404).send(notFound);
    const type = variant === 'image' ? (image.mime ?? stored.contentType) : stored.contentType;
    return reply.type(type).header('Content-Length', stored.bytes).send(stored.body);
  };
  app.get('/images/:id', serve('image'));
  app.get('/images/:id/thumbnail', serve('thumbnail'));
}
