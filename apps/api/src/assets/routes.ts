import { AssetRef, ReferenceUpload } from '@darkroom/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../context.js';
import { sendRestError } from '../rest/errors.js';
import { deleteAsset, getAsset, listAssets, uploadAsset } from './service.js';
import {
  registerUploadRoute,
  serveOwnedFile,
  unauthorized,
  unsupported,
  type UploadRouteDeps,
} from './upload-routes.js';

/**
 * POST /api/v1/assets: an image as the raw body (Content-Type image/png, image/jpeg or image/webp) or
 * as the `file` part of a multipart/form-data body (with optional `tags` and `description` parts); the
 * bytes decide the type, not the header. 201 with the new asset, 200 with the existing one when the
 * caller already stored the same bytes. GET/DELETE /api/v1/assets[/:id] list, read and delete them;
 * GET /assets/:id/file and /assets/:id/thumbnail serve them to their owner.
 */
export function registerAssetRoutes(app: FastifyInstance, deps: UploadRouteDeps) {
  const { db, storage, authenticate, limits } = deps;

  registerUploadRoute(app, deps, {
    path: '/api/v1/assets',
    noun: 'an image',
    // A form's overhead (boundaries, the text parts) on top of the image.
    multipart: { overhead: 64 * 1024 },
    handle: async (user, request, reply) => {
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
    },
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

  app.get('/assets/:id/file', serveOwnedFile(deps, { variant: 'file', notFound: 'asset not found' }));
  app.get('/assets/:id/thumbnail', serveOwnedFile(deps, { variant: 'thumbnail', notFound: 'asset not found' }));
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
