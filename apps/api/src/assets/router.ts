import { AssetRef, AssetView } from '@darkroom/core';
import { z } from 'zod';
import { protectedProcedure, router } from '../trpc.js';
import { deleteAsset, getAsset, listAssets } from './service.js';

/** Uploads go through POST /api/v1/assets (raw bytes or multipart; `client.upload`); these read and remove them. */
export const assetsRouter = router({
  list: protectedProcedure.output(AssetView.array()).query(({ ctx: { db, user } }) => listAssets({ db, user })),
  get: protectedProcedure
    .input(AssetRef)
    .output(AssetView)
    .query(({ ctx: { db, user }, input }) => getAsset({ db, user, id: input.id })),
  delete: protectedProcedure
    .input(AssetRef)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx: { db, storage, user }, input }) => deleteAsset({ db, storage, user, id: input.id })),
});
