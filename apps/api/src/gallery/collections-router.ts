import {
  CollectionCreateInput,
  CollectionImagesInput,
  CollectionImagesListInput,
  CollectionImagesView,
  CollectionListView,
  CollectionRef,
  CollectionRenameInput,
  CollectionView,
  ImageCollectionsInput,
  ImageCollectionsView,
} from '@darkroom/core';
import { z } from 'zod';
import { protectedProcedure, router } from '../trpc.js';
import {
  addToCollection,
  collectionsOfImage,
  createCollection,
  deleteCollection,
  listCollectionImages,
  listCollections,
  removeFromCollection,
  renameCollection,
} from './collections.js';

export const collectionsRouter = router({
  /** The caller's collections, most recently changed first, each with its size and a cover. */
  list: protectedProcedure.output(CollectionListView).query(({ ctx: { db, user } }) => listCollections({ db, user })),
  /** One collection and a cursor page of its images, newest-added first. */
  images: protectedProcedure
    .input(CollectionImagesListInput)
    .output(CollectionImagesView)
    .query(({ ctx: { db, user }, input }) => listCollectionImages({ db, user, input })),
  create: protectedProcedure
    .input(CollectionCreateInput)
    .output(CollectionView)
    .mutation(({ ctx: { db, user }, input }) => createCollection({ db, user, name: input.name })),
  rename: protectedProcedure
    .input(CollectionRenameInput)
    .output(CollectionView)
    .mutation(({ ctx: { db, user }, input }) => renameCollection({ db, user, ...input })),
  /** Deletes the collection, never its images. */
  delete: protectedProcedure
    .input(CollectionRef)
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(async ({ ctx: { db, user }, input }) => {
      await deleteCollection({ db, user, id: input.id });
      return { deleted: true as const };
    }),
  /** Images into the collection, all or none (one id not the caller's refuses the lot). */
  add: protectedProcedure
    .input(CollectionImagesInput)
    .output(CollectionView)
    .mutation(({ ctx: { db, user }, input }) => addToCollection({ db, user, ...input })),
  /** Images out of the collection; they stay in the gallery. */
  remove: protectedProcedure
    .input(CollectionImagesInput)
    .output(CollectionView)
    .mutation(({ ctx: { db, user }, input }) => removeFromCollection({ db, user, ...input })),
  /** The ids of the caller's collections holding one image, for the image view. */
  ofImage: protectedProcedure
    .input(ImageCollectionsInput)
    .output(ImageCollectionsView)
    .query(({ ctx: { db, user }, input }) => collectionsOfImage({ db, user, imageId: input.imageId })),
});
