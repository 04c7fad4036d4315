import { ReferenceView } from '@darkroom/core';
import { z } from 'zod';
import { protectedProcedure, router } from '../trpc.js';
import { deleteReference, listReferences } from './service.js';

/** Uploads go through POST /api/v1/references (raw image bytes); these list and remove them. */
export const referencesRouter = router({
  list: protectedProcedure.output(ReferenceView.array()).query(({ ctx: { db, user } }) => listReferences({ db, user })),
  delete: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx: { db, storage, user }, input }) => deleteReference({ db, storage, user, id: input.id })),
});
