import {
  GalleryBulkInput,
  GalleryFavouriteInput,
  GalleryMoveInput,
  GalleryImageRef,
  GalleryImageView,
  GalleryListInput,
  GalleryListView,
  ProjectListView,
  ProjectRenameInput,
} from '@darkroom/core';
import { z } from 'zod';
import { protectedProcedure, router } from '../trpc.js';
import { moveToProject, removeManyFromGallery, renameProject } from './organize.js';
import { getGalleryImage, listGallery, listProjects, removeFromGallery, setFavourite } from './service.js';

export const galleryRouter = router({
  /** The caller's images across jobs, newest first, a cursor page at a time; by project or favourites. */
  list: protectedProcedure
    .input(GalleryListInput)
    .output(GalleryListView)
    .query(({ ctx: { db, user }, input }) => listGallery({ db, user, input })),
  /** One of the caller's images with what made it: prompt, preset, style, seed, size, provider, cost. */
  get: protectedProcedure
    .input(GalleryImageRef)
    .output(GalleryImageView)
    .query(({ ctx: { db, user }, input }) => getGalleryImage({ db, user, id: input.id })),
  favourite: protectedProcedure
    .input(GalleryFavouriteInput)
    .output(GalleryImageView)
    .mutation(({ ctx: { db, user }, input }) => setFavourite({ db, user, ...input })),
  /** Out of the gallery (and favourites); the job keeps the image. */
  remove: protectedProcedure
    .input(GalleryImageRef)
    .output(z.object({ removed: z.literal(true) }))
    .mutation(async ({ ctx: { db, user }, input }) => {
      await removeFromGallery({ db, user, id: input.id });
      return { removed: true as const };
    }),
  /** The selection out of the gallery, all or none (one id not the caller's refuses the lot). */
  removeMany: protectedProcedure
    .input(GalleryBulkInput)
    .output(z.object({ removed: z.number().int() }))
    .mutation(({ ctx: { db, user }, input }) => removeManyFromGallery({ db, user, ids: input.ids })),
  /** The selected images' jobs into a project (a new name creates it), or out of any (null). */
  moveToProject: protectedProcedure
    .input(GalleryMoveInput)
    .output(z.object({ jobs: z.number().int() }))
    .mutation(({ ctx: { db, user }, input }) => moveToProject({ db, user, ...input })),
  renameProject: protectedProcedure
    .input(ProjectRenameInput)
    .output(z.object({ jobs: z.number().int() }))
    .mutation(({ ctx: { db, user }, input }) => renameProject({ db, user, ...input })),
  /** The projects the caller's jobs name (the jobs' `projectId`), for the filters. */
  projects: protectedProcedure.output(ProjectListView).query(({ ctx: { db, user } }) => listProjects({ db, user })),
});
