import multipart from '@fastify/multipart';
import { AssetRef, isDomainError, ReferenceUpload } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authentication } from '../auth/authenticate.js';
import type { AuthUser } from '../context.js';
import type { ReferenceLimits } from '../env.js';
import type { RateLimits } from '../rate-limits.js';
import { sendRestError } from '../rest/errors.js';
import { assertRoomForAsset, deleteAsset, getAsset, listAssets, uploadAsset } from './service.js';

interface AssetRouteDeps {
  db: Db;
  storage: ImageStorage;
  authenticate: (request: FastifyRequest) => Promise<Authentication>;
  limits: ReferenceLimits;
  rateLimits: Pick<RateLimits, 'consumeReferenceUpload'>;
}

const unauthorized = (reply: FastifyReply, message?: string | null) =>
  reply
    .code(401)
    .send({ error: { code: 'UNAUTHORIZED', message: message ?? 'sign in or send an API key', details: null } });

/**
 * POST /api/v1/assets: an image as the raw body (Content-Type image/png, image/jpeg or image/webp) or
 * as the `file` part of a multipart/form-data body (with optional `tags` and `description` parts); the
 * bytes decide the type, not the header. 201 with the new asset, 200 with the existing one when the
 * caller already stored the same bytes. GET/DELETE /api/v1/assets[/:id] list, read and delete them;
 * GET /assets/:id/file and /assets/:id/thumbnail serve them to their owner.
 *
 * Everything that can refuse an upload without its body (credentials, the upload rate, the caps, a
 * declared length over REFERENCE_MAX_BYTES) runs in onRequest, before a byte of it is read.
 */
export function registerAssetRoutes(app: FastifyInstance, deps: AssetRouteDeps) {
  const { db, storage, authenticate, limits, rateLimits } = deps;
  const uploaders = new WeakMap<FastifyRequest, AuthUser>();
  const tooLarge = (reply: FastifyReply) =>
    reply.code(413).send({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: `an image may be at most ${limits.maxBytes} bytes (REFERENCE_MAX_BYTES)`,
        details: { field: 'body', limit: 'REFERENCE_MAX_BYTES', maximum: limits.maxBytes },
      },
    });
  const unsupported = (reply: FastifyReply, message: string, details: unknown) =>
    reply.code(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message, details } });

  app.register(async (scope) => {
    scope.addContentTypeParser(
      /^image\/[\w.+-]+$/,
      { parseAs: 'buffer', bodyLimit: limits.maxBytes },
      (_request, body, done) => done(null, body),
    );
    // A form's overhead (boundaries, the text parts) on top of the image.
    await scope.register(multipart, { limits: { fileSize: limits.maxBytes, files: 1, fields: 4, parts: 5 } });
    scope.setErrorHandler((error, request, reply) =>
      (error as { statusCode?: number }).statusCode === 413 ? tooLarge(reply) : sendRestError(error, request, reply),
    );
    scope.post(
      '/api/v1/assets',
      {
        bodyLimit: limits.maxBytes + 64 * 1024,
        onRequest: async (request, reply) => {
          const { user, error: authError } = await authenticate(request);
          if (!user) return unauthorized(reply, authError);
          if (Number(request.headers['content-length'] ?? 0) > limits.maxBytes + 64 * 1024) return tooLarge(reply);
          await rateLimits.consumeReferenceUpload(user.id);
          await assertRoomForAsset(db, user.id, limits);
          uploaders.set(request, user);
        },
      },
      async (request, reply) => {
        const user = uploaders.get(request)!;
        try {
          let body: Buffer;
          let fields: Record<string, unknown> = request.query as Record<string, unknown>;
          if (request.isMultipart()) {
            const form = await readForm(request);
            if (!form.file)
              return unsupported(reply, 'send the image as the multipart part named "file"', { field: 'file' });
            body = form.file;
            fields = { ...fields, ...form.fields };
          } else if (Buffer.isBuffer(request.body)) {
            body = request.body;
          } else {
            return unsupported(
              reply,
              'send the image as the body with Content-Type image/png, image/jpeg or image/webp, or as multipart/form-data',
              { field: 'body' },
            );
          }
          const query = ReferenceUpload.safeParse(fields);
          if (!query.success) return sendRestError(query.error, request, reply);
          const { asset, created } = await uploadAsset({ db, storage, user, body, limits, ...query.data });
          return reply.code(created ? 201 : 200).send(asset);
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

  const withUser =
    (handler: (user: AuthUser, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { user, error: authError } = await authenticate(request);
      if (!user) return unauthorized(reply, authError);
      try {
        return await handler(user, request, reply);
      } catch (error) {
        return sendRestError(error, request, reply);
      }
    };
  const idOf = (request: FastifyRequest) => AssetRef.parse(request.params).id;

  // In their own scope so that every error, a body Fastify cannot parse included, has REST's shape.
  app.register(async (scope) => {
    scope.setErrorHandler(sendRestError);
    scope.get(
      '/api/v1/assets',
      withUser(async (user) => ({ items: await listAssets({ db, user }) })),
    );
    scope.get(
      '/api/v1/assets/:id',
      withUser(async (user, request) => getAsset({ db, user, id: idOf(request) })),
    );
    scope.delete(
      '/api/v1/assets/:id',
      withUser(async (user, request) => deleteAsset({ db, storage, user, id: idOf(request) })),
    );
  });

  const serve = (variant: 'file' | 'thumbnail') => async (request: FastifyRequest, reply: FastifyReply) => {
    const { user, error: authError } = await authenticate(request);
    if (!user) return unauthorized(reply, authError);
    const id = AssetRef.safeParse(request.params);
    const asset = id.success ? await db.reference.findFirst({ where: { id: id.data.id, userId: user.id } }) : null;
    const key = variant === 'file' ? asset?.storageKey : asset?.thumbnailKey;
    const stored = key ? await storage.get(key) : null;
    if (!asset || !stored) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'asset not found' } });
    return reply
      .type(variant === 'file' ? asset.mime : stored.contentType)
      .header('Cache-Control', 'private, max-age=31536000, immutable')
      .send(stored.body);
  };
  app.get('/assets/:id/file', serve('file'));
  app.get('/assets/:id/thumbnail', serve('thumbnail'));
}

/** The one file part and the text parts of a multipart upload (limits set where the plugin is registered). */
async function readForm(request: FastifyRequest): Promise<{ file?: Buffer; fields: Record<string, string> }> {
  const fields: Record<string, string> = {};
  let file: Buffer | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const bytes = await part.toBuffer();
      if (part.fieldname === 'file' || part.fieldname === 'image') file = bytes;
    } else if (typeof part.value === 'string') {
      fields[part.fieldname] = part.value;
    }
  }
  return { file, fields };
}
