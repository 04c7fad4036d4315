import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authentication } from './auth/authenticate.js';
import { hotServableImage } from './jobs/hot-reads.js';
import { MAX_SIGNED_URL_TTL_SECONDS, type UrlSigner } from './signed-urls.js';

const ImageParams = z.object({ id: z.string().uuid() });
const SignedQuery = z.object({ expires: z.string().optional(), signature: z.string().optional() });
const SignRequest = z.object({
  ttlSeconds: z.coerce.number().int().min(1).max(MAX_SIGNED_URL_TTL_SECONDS).default(3600),
});

/**
 * GET /images/:id - the stored bytes of one of the caller's images (an admin's: any image), and
 * GET /images/:id/thumbnail its webp thumbnail, for their owner or by a signed, expiring link (see signed-urls.ts), and
 * GET /images/:id/preview the latest preview of a running image, for its owner only. Images never
 * change once stored, so both are cached for a year, privately (they belong to one user); a signed
 * response only until its link expires.
 */
export function registerImageRoutes(
  app: FastifyInstance,
  {
    db,
    storage,
    authenticate,
    signer,
    embeddable = false,
  }: {
    db: Db;
    storage: ImageStorage;
    authenticate: (request: FastifyRequest) => Promise<Authentication>;
    signer: UrlSigner;
    /** Signed links may be embedded by other sites (SIGNED_LINKS_EMBEDDABLE): CORP cross-origin for them. */
    embeddable?: boolean;
  },
) {
  const serve = (variant: 'image' | 'thumbnail') => async (request: FastifyRequest, reply: FastifyReply) => {
    const params = ImageParams.safeParse(request.params);
    const query = SignedQuery.safeParse(request.query);
    const signed = query.success && query.data.signature !== undefined;
    // A signed link opens the image for whoever holds it; anything else needs its owner.
    let owner: { userId: string } | undefined;
    if (signed) {
      const path = request.url.split('?')[0]!;
      if (!signer.verify(path, query.data.expires, query.data.signature)) {
        return reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'the link is invalid or has expired' } });
      }
      // Helmet's same-origin policy keeps other sites from showing even a link made to be shared; the
      // operator may let them (an owner's own, unsigned request keeps same-origin).
      if (embeddable) reply.header('Cross-Origin-Resource-Policy', 'cross-origin');
    } else {
      const { user, error: authError } = await authenticate(request);
      if (!user)
        return reply
          .code(401)
          .send({ error: { code: 'UNAUTHORIZED', message: authError ?? 'sign in or send an API key' } });
      // Owners see their images; admins may see any job's.
      if (user.role !== 'admin') owner = { userId: user.id };
    }
    const image = params.success
      ? await hotServableImage(db, { id: params.data.id, userId: owner?.userId }, () =>
          db.image.findFirst({
            where: { id: params.data.id, status: 'succeeded', ...(owner ? { job: owner } : {}) },
            select: { id: true, storageKey: true, thumbnailKey: true, mime: true, bytes: true },
          }),
        )
      : null;
    const notFound = {
      error: { code: 'NOT_FOUND', message: variant === 'image' ? 'image not found' : 'thumbnail not found' },
    };
    const key = variant === 'image' ? image?.storageKey : image?.thumbnailKey;
    if (!image || !key) return reply.code(404).send(notFound);

    const etag = variant === 'image' ? `"${image.id}"` : `"${image.id}-thumb"`;
    // A signed response may be cached only while its link is valid.
    const maxAge = signed ? Math.max(0, Number(query.data!.expires) - Math.floor(Date.now() / 1000)) : 31536000;
    reply.header('ETag', etag).header('Cache-Control', `private, max-age=${maxAge}${signed ? '' : ', immutable'}`);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    const stored = await storage.get(key);
    if (!stored) return reply.code(404).send(notFound);
    const type = variant === 'image' ? (image.mime ?? stored.contentType) : stored.contentType;
    return reply.type(type).header('Content-Length', stored.bytes).send(stored.body);
  };
  app.get('/images/:id/preview', async (request, reply) => {
    const params = ImageParams.safeParse(request.params);
    const { user, error: authError } = await authenticate(request);
    if (!user)
      return reply
        .code(401)
        .send({ error: { code: 'UNAUTHORIZED', message: authError ?? 'sign in or send an API key' } });
    // Owners see their images' previews; admins any. A stored image has none (its preview is dropped).
    const preview = params.success
      ? await db.imagePreview.findFirst({
          where: {
            imageId: params.data.id,
            image: { status: 'running', ...(user.role === 'admin' ? {} : { job: { userId: user.id } }) },
          },
          select: { bytes: true, mime: true },
        })
      : null;
    if (!preview) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'preview not found' } });
    // Each preview has its own URL (?v=), so a cached one is never stale; it lives only seconds anyway.
    return reply
      .type(preview.mime)
      .header('Cache-Control', 'private, max-age=60')
      .header('Content-Length', preview.bytes.length)
      .send(Buffer.from(preview.bytes));
  });
  app.get('/images/:id', serve('image'));
  app.get('/images/:id/thumbnail', serve('thumbnail'));

  /** POST /images/:id/signed-url?ttlSeconds=3600 - links to the caller's image that work without signing in. */
  app.post('/images/:id/signed-url', async (request, reply) => {
    const params = ImageParams.safeParse(request.params);
    const ttl = SignRequest.safeParse(request.query);
    if (!ttl.success)
      return reply
        .code(400)
        .send({ error: { code: 'BAD_REQUEST', message: `ttlSeconds must be 1-${MAX_SIGNED_URL_TTL_SECONDS}` } });
    const { user, error: authError } = await authenticate(request);
    if (!user)
      return reply
        .code(401)
        .send({ error: { code: 'UNAUTHORIZED', message: authError ?? 'sign in or send an API key' } });
    const image = params.success
      ? await db.image.findFirst({
          where: { id: params.data.id, status: 'succeeded', job: { userId: user.id } },
          select: { id: true, thumbnailKey: true },
        })
      : null;
    if (!image) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'image not found' } });
    const expiresAt = new Date(Date.now() + ttl.data.ttlSeconds * 1000);
    return {
      url: signer.sign(`/images/${image.id}`, expiresAt),
      thumbnailUrl: image.thumbnailKey ? signer.sign(`/images/${image.id}/thumbnail`, expiresAt) : null,
      expiresAt: expiresAt.toISOString(),
    };
  });
}
