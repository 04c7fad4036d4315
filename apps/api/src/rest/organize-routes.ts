/**
 * REST for the gallery's bulk actions, projects and the folded ledger: the same services and core
 * schemas as the tRPC procedures (gallery.removeMany, gallery.moveToProject, gallery.renameProject,
 * credits.ledger). Described in openapi-organize.ts.
 */
import { GalleryBulkInput, GalleryMoveInput, LedgerPageInput, ProjectRenameInput } from '@darkroom/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuthUser, Services } from '../context.js';
import { listLedger } from '../credits/ledger.js';
import { moveToProject, removeManyFromGallery, renameProject } from '../gallery/organize.js';
import { listProjects } from '../gallery/service.js';

// Query strings carry text: the limit is read as a number, the rest as the tRPC input's.
const LedgerQuery = LedgerPageInput.extend({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export function registerOrganizeRoutes(
  scope: FastifyInstance,
  { db }: Pick<Services, 'db'>,
  callerOf: (request: FastifyRequest) => Promise<AuthUser>,
) {
  scope.get('/ledger', async (request) => {
    const user = await callerOf(request);
    return listLedger({ db, user, input: LedgerQuery.parse(request.query) });
  });
  scope.post('/gallery/remove', async (request) => {
    const user = await callerOf(request);
    return removeManyFromGallery({ db, user, ids: GalleryBulkInput.parse(request.body).ids });
  });
  scope.post('/gallery/project', async (request) => {
    const user = await callerOf(request);
    return moveToProject({ db, user, ...GalleryMoveInput.parse(request.body) });
  });
  scope.get('/projects', async (request) => {
    const user = await callerOf(request);
    return { items: await listProjects({ db, user }) };
  });
  scope.post('/projects/rename', async (request) => {
    const user = await callerOf(request);
    return renameProject({ db, user, ...ProjectRenameInput.parse(request.body) });
  });
}
