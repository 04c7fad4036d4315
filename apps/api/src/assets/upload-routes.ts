/**
 * What the two upload surfaces share: POST /api/v1/assets and the older POST /api/v1/references both
 * store the body as one of the caller's assets (assets/service.ts), behind the same gate, with the same
 * refusals; GET /assets/:id/file and /references/:id/file serve it back to its owner alone.
 */
import multipart from '@fastify/multipart';
import { AssetRef, isDomainError } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authentication } from '../auth/authenticate.js';
import type { AuthUser } from '../context.js';
import type { ReferenceLimits } from '../env.js';
import type { RateLimits } from '../rate-limits.js';
import { sendRestError } from '../rest/errors.js';
import { assertRoomForAsset } from './service.js';

export interface UploadRouteDeps {
  db: Db;
  storage: ImageStorage;
  authenticate: (request: FastifyRequest) => Promise<Authentication>;
  limits: ReferenceLimits;
  rateLimits: Pick<RateLimits, 'consumeReferenceUpload'>;
}

export const unauthorized = (reply: FastifyReply, message?: string | null) =>
  reply
    .code(401)
    .send({ error: { code: 'UNAUTHORIZED', message: message ?? 'sign in or send an API key', details: null } });

export const unsupported = (reply: FastifyReply, message: string, details: unknown) =>
  reply.code(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message, details } });

/**
 * Registers POST `path`: the image as the raw body (any image/* Content-Type; the bytes decide the type,
 * not the header), or, with `multipart`, as a form's file part too. `handle` reads the body and answers.
 *
 * Everything that can refuse an upload without its body (credentials, the upload rate, the caps, a
 * declared length over REFERENCE_MAX_BYTES) runs in onRequest, before Fastify reads a byte of it: a
 * stranger's 8 MB POST is answered 401 from its headers alone.
 */
export function registerUploadRoute(
  app: FastifyInstance,
  { db, authenticate, limits, rateLimits }: UploadRouteDeps,
  {
    path,
    noun,
    multipart: form,
    handle,
  }: {
    path: string;
    /** What the 413's message calls the upload ("an image", "a reference"). */
    noun: string;
    /** Multipart forms are read too, up to `overhead` bytes (boundaries, the text parts) on top of the image. */
    multipart?: { overhead: number };
    handle: (user: AuthUser, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  },
) {
  const uploaders = new WeakMap<FastifyRequest, AuthUser>();
  const declaredMaximum = limits.maxBytes + (form?.overhead ?? 0);
  const tooLarge = (reply: FastifyReply) =>
    reply.code(413).send({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: `${noun} may be at most ${limits.maxBytes} bytes (REFERENCE_MAX_BYTES)`,
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
    if (form) await scope.register(multipart, { limits: { fileSize: limits.maxBytes, files: 1, fields: 4, parts: 5 } });
    scope.setErrorHandler((error, request, reply) =>
      (error as { statusCode?: number }).statusCode === 413 ? tooLarge(reply) : sendRestError(error, request, reply),
    );
    scope.post(
      path,
      {
        ...(form ? { bodyLimit: declaredMaximum } : {}),
        onRequest: async (request, reply) => {
          const { user, error: authError } = await authenticate(request);
          if (!user) return unauthorized(reply, authError);
          if (Number(request.headers['content-length'] ?? 0) > declaredMaximum) return tooLarge(reply);
          await rateLimits.consumeReferenceUpload(user.id);
          await assertRoomForAsset(db, user.id, limits);
          uploaders.set(request, user);
        },
      },
      async (request, reply) => {
        try {
          return await handle(uploaders.get(request)!, request, reply);
        } catch (error) {
          if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(reply);
          if (isDomainError(error) && error.details?.limit === 'REFERENCE_MAX_BYTES') return tooLarge(reply);
          if (isDomainError(error) && error.details?.reason === 'format')
            return unsupported(reply, error.message, error.details);
          return sendRestError(error, request, reply);
        }
      },
    );
  });
}

/**
 * A handler for GET `.../:id/file` (or `/thumbnail`): the caller's own stored image, immutable; another
 * user's id is answered exactly like a missing one.
 */
export function serveOwnedFile(
  { db, storage, authenticate }: Pick<UploadRouteDeps, 'db' | 'storage' | 'authenticate'>,
  {
    variant,
    notFound,
    unauthorizedDetails = true,
  }: {
    variant: 'file' | 'thumbnail';
    /** The 404's message. */
    notFound: string;
    /** Whether the 401 carries `details: null`, as REST's errors do; /references/:id/file's never did. */
    unauthorizedDetails?: boolean;
  },
) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { user, error: authError } = await authenticate(request);
    if (!user) {
      const message = authError ?? 'sign in or send an API key';
      return reply
        .code(401)
        .send({ error: { code: 'UNAUTHORIZED', message, ...(unauthorizedDetails ? { details: null } : {}) } });
    }
    const id = AssetRef.safeParse(request.params);
    const asset = id.success ? await db.reference.findFirst({ where: { id: id.data.id, userId: user.id } }) : null;
    const key = variant === 'file' ? asset?.storageKey : asset?.thumbnailKey;
    const stored = key ? await storage.get(key) : null;
    if (!asset || !stored) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: notFound } });
    return reply
      .type(variant === 'file' ? asset.mime : stored.contentType)
      .header('Cache-Control', 'private, max-age=31536000, immutable')
      .send(stored.body);
  };
}
