/** The OpenAPI paths and schemas of organize-routes.ts (gallery bulk actions, projects, ledger). */
import {
  GalleryBulkInput,
  GalleryMoveInput,
  LedgerPageInput,
  LedgerPageView,
  ProjectListView,
  ProjectRenameInput,
} from '@darkroom/core';
import { z } from 'zod';
import { json, ref, schemaOf, type JsonSchema } from './openapi-kit.js';

const counted = (name: string) => schemaOf(z.object({ [name]: z.number().int() }), 'output');

export function organizeSchemas(): Record<string, JsonSchema> {
  return {
    LedgerPage: schemaOf(LedgerPageView, 'output'),
    GalleryBulk: schemaOf(GalleryBulkInput, 'input'),
    GalleryMove: schemaOf(GalleryMoveInput, 'input'),
    ProjectRename: schemaOf(ProjectRenameInput, 'input'),
    ProjectList: schemaOf(z.object({ items: ProjectListView }), 'output'),
  };
}

export function organizePaths(errors: Record<string, unknown>): Record<string, JsonSchema> {
  const notFound = {
    '404': { description: 'NOT_FOUND: an id that is not yours (or no such project)', content: json(ref('Error')) },
  };
  const ledgerQuery = schemaOf(LedgerPageInput, 'input') as { properties: Record<string, JsonSchema> };
  return {
    '/ledger': {
      get: {
        operationId: 'listLedger',
        summary: 'Your balance and credit ledger, one line per job (reserve, charge and refund folded)',
        description:
          'Newest first. Pass the `nextCursor` of a page as `cursor` for the next one; null on the last page.',
        parameters: Object.entries(ledgerQuery.properties).map(([name, schema]) => ({
          name,
          in: 'query',
          required: false,
          schema,
        })),
        responses: { '200': { description: 'A page of the ledger', content: json(ref('LedgerPage')) }, ...errors },
      },
    },
    '/gallery/remove': {
      post: {
        operationId: 'removeGalleryImages',
        summary: 'Take up to 100 of your images out of the gallery (their jobs keep them); all or none',
        requestBody: { required: true, content: json(ref('GalleryBulk')) },
        responses: { '200': { description: 'How many', content: json(counted('removed')) }, ...errors, ...notFound },
      },
    },
    '/gallery/project': {
      post: {
        operationId: 'moveGalleryImagesToProject',
        summary: "Put the images' jobs in a project (a new name creates it), or in none (null); all or none",
        requestBody: { required: true, content: json(ref('GalleryMove')) },
        responses: {
          '200': { description: 'How many jobs moved', content: json(counted('jobs')) },
          ...errors,
          ...notFound,
        },
      },
    },
    '/projects': {
      get: {
        operationId: 'listProjects',
        summary: 'The projects your jobs name, with how many jobs each',
        responses: { '200': { description: 'The projects', content: json(ref('ProjectList')) }, ...errors },
      },
    },
    '/projects/rename': {
      post: {
        operationId: 'renameProject',
        summary: 'Rename one of your projects (every job that names it)',
        requestBody: { required: true, content: json(ref('ProjectRename')) },
        responses: {
          '200': { description: 'How many jobs it holds', content: json(counted('jobs')) },
          ...errors,
          ...notFound,
        },
      },
    },
  };
}
