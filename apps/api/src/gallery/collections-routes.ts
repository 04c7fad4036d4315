/**
 * REST for collections (boards) under /api/v1: the same services and core schemas as the tRPC
 * procedures in collections-router.ts, so the same limits and the same NOT_FOUND for an id that is not
 * the caller's. Described in rest/openapi-collections.ts.
 */
import {
  CollectionCreateInput,
  CollectionImagesInput,
  CollectionImagesListInput,
  CollectionRef,
  CollectionRenameInput,
} from '@darkroom/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuthUser, Services } from '../context.js';
import {
  addToCollection,
  createCollection,
  deleteCollection,
  listCollectionImages,
  listCollections,
  removeFromCollection,
  renameCollection,
} from './collections.js';

// Query strings carry text: the limit is read as a number, the rest as the tRPC input's.
const ImagesQuery = CollectionImagesListInput.extend({
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
// The id comes from the path; a body must be an object for the rest of the input to be read from it.
const withId = (request: FastifyRequest) => ({
  ...(request.body && typeof request.body === 'object' ? request.body : {}),
  id: (request.params as { id?: string }).id,
});

export function registerCollectionRoutes(
  scope: FastifyInstance,
  { db }: Pick<Services, 'db'>,
  callerOf: (request: FastifyRequest) => Promise<AuthUser>,
) {
  scope.get('/collections', async (request) => {
    const user = await callerOf(request);
    return { items: await listCollections({ db, user }) };
  });
  scope.post('/collections', async (request, reply) => {
    const user = await callerOf(request);
    const view = await createCollection({ db, user, name: CollectionCreateInput.parse(request.body).name });
    return reply.code(201).header('Location', `/api/v1/collections/${view.id}`).send(view);
  });
  scope.patch('/collections/:id', async (request) => {
    const user = await callerOf(request);
    return renameCollection({ db, user, ...CollectionRenameInput.parse(withId(request)) });
  });
  scope.delete('/collections/:id', async (request) => {
    const user = await callerOf(request);
    await deleteCollection({ db, user, id: CollectionRef.parse(request.params).id });
    return { deleted: true };
  });
  scope.get('/collections/:id/images', async (request) => {
    const user = await callerOf(request);
    const query = request.query && typeof request.query === 'object' ? request.query : {};
    return listCollectionImages({ db, user, input: ImagesQuery.parse({ ...query, ...(request.params as object) }) });
  });
  scope.post('/collections/:id/images', async (request) => {
    const user = await callerOf(request);
    return addToCollection({ db, user, ...CollectionImagesInput.parse(withId(request)) });
  });
  scope.post('/collections/:id/images/remove', async (request) => {
    const user = await callerOf(request);
    return removeFromCollection({ db, user, ...CollectionImagesInput.parse(withId(request)) });
  });
}
