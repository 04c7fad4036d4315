/** The OpenAPI paths and schemas of gallery/collections-routes.ts (collections, or boards). */
import {
  CollectionCreateInput,
  CollectionImagesInput,
  CollectionImagesView,
  CollectionView,
  MAX_COLLECTIONS_PER_USER,
  MAX_IMAGES_PER_COLLECTION,
} from '@darkroom/core';
import { z } from 'zod';
import { json, ref, schemaOf, type JsonSchema } from './openapi-kit.js';

export function collectionSchemas(): Record<string, JsonSchema> {
  return {
    Collection: schemaOf(CollectionView, 'output'),
    CollectionList: schemaOf(z.object({ items: CollectionView.array() }), 'output'),
    CollectionImages: schemaOf(CollectionImagesView, 'output'),
    CollectionName: schemaOf(CollectionCreateInput, 'input'),
    CollectionImageIds: schemaOf(CollectionImagesInput.omit({ id: true }), 'input'),
  };
}

export function collectionPaths(errors: Record<string, unknown>): Record<string, JsonSchema> {
  const notFound = {
    '404': { description: 'NOT_FOUND: a collection or image that is not yours', content: json(ref('Error')) },
  };
  const taken = { '409': { description: 'CONFLICT: you have a collection of that name', content: json(ref('Error')) } };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const one = (description: string) => ({ '200': { description, content: json(ref('Collection')) } });
  return {
    '/collections': {
      get: {
        operationId: 'listCollections',
        summary: 'Your collections, most recently changed first, each with its size and a cover',
        responses: { '200': { description: 'The collections', content: json(ref('CollectionList')) }, ...errors },
      },
      post: {
        operationId: 'createCollection',
        summary: `Make a collection (at most ${MAX_COLLECTIONS_PER_USER} per account; names are unique per account)`,
        requestBody: { required: true, content: json(ref('CollectionName')) },
        responses: {
          '201': {
            description: 'Made',
            headers: { Location: { description: 'The collection', schema: { type: 'string' } } },
            content: json(ref('Collection')),
          },
          ...errors,
          ...taken,
        },
      },
    },
    '/collections/{id}': {
      patch: {
        operationId: 'renameCollection',
        summary: 'Rename one of your collections',
        parameters: [id],
        requestBody: { required: true, content: json(ref('CollectionName')) },
        responses: { ...one('Renamed'), ...errors, ...notFound, ...taken },
      },
      delete: {
        operationId: 'deleteCollection',
        summary: 'Delete one of your collections; its images stay in the gallery',
        parameters: [id],
        responses: {
          '200': { description: 'Deleted', content: json(schemaOf(z.object({ deleted: z.literal(true) }), 'output')) },
          ...errors,
          ...notFound,
        },
      },
    },
    '/collections/{id}/images': {
      get: {
        operationId: 'listCollectionImages',
        summary: 'The collection and a page of its images, newest-added first',
        description: 'Pass the `nextCursor` of a page as `cursor` for the next one; null on the last page.',
        parameters: [
          id,
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string', format: 'uuid' } },
        ],
        responses: {
          '200': { description: 'A page', content: json(ref('CollectionImages')) },
          ...errors,
          ...notFound,
        },
      },
      post: {
        operationId: 'addCollectionImages',
        summary: `Put your images in the collection (at most ${MAX_IMAGES_PER_COLLECTION} in one); all or none`,
        parameters: [id],
        requestBody: { required: true, content: json(ref('CollectionImageIds')) },
        responses: { ...one('The collection after'), ...errors, ...notFound },
      },
    },
    '/collections/{id}/images/remove': {
      post: {
        operationId: 'removeCollectionImages',
        summary: 'Take images out of the collection (they stay in the gallery); all or none',
        parameters: [id],
        requestBody: { required: true, content: json(ref('CollectionImageIds')) },
        responses: { ...one('The collection after'), ...errors, ...notFound },
      },
    },
  };
}
