import { ReferenceUpload } from '@darkroom/core';
import type { FastifyInstance } from 'fastify';
import { registerUploadRoute, serveOwnedFile, unsupported, type UploadRouteDeps } from '../assets/upload-routes.js';
import { sendRestError } from '../rest/errors.js';
import { uploadReference } from './service.js';

/**
 * POST /api/v1/references?tags=a,b&description=... with the image as the raw body (Content-Type
 * image/png, image/jpeg or image/webp; the bytes decide, not the header): always 201, with the
 * reference view. GET /references/:id/file serves one back to its owner. The upload is an asset
 * (assets/upload-routes.ts: the same gate, limits and refusals as POST /api/v1/assets).
 */
export function registerReferenceRoutes(app: FastifyInstance, deps: UploadRouteDeps) {
  const { db, storage, limits } = deps;

  registerUploadRoute(app, deps, {
    path: '/api/v1/references',
    noun: 'a reference',
    handle: async (user, request, reply) => {
      const query = ReferenceUpload.safeParse(request.query);
      if (!query.success) return sendRestError(query.error, request, reply);
      if (!Buffer.isBuffer(request.body))
        return unsupported(reply, 'send the image as the body with Content-Type image/png, image/jpeg or image/webp', {
          field: 'body',
        });
      const reference = await uploadReference({ db, storage, user, body: request.body, limits, ...query.data });
      return reply.code(201).send(reference);
    },
  });

  app.get(
    '/references/:id/file',
    serveOwnedFile(deps, { variant: 'file', notFound: 'reference not found', unauthorizedDetails: false }),
  );
}
