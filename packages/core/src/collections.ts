/**
 * Collections (boards): named sets of one account's gallery images, chosen by hand. An image can be in
 * several collections; taking it out of a collection, or deleting the collection, never deletes the
 * image. Taking an image out of the gallery takes it out of every collection.
 */
import { z } from 'zod';
import { GalleryImageIds, GalleryListView } from './gallery.js';

/** The most collections one account may have. */
export const MAX_COLLECTIONS_PER_USER = 100;
/** The most images one collection may hold. */
export const MAX_IMAGES_PER_COLLECTION = 1000;
/** The longest collection name, in characters. */
export const MAX_COLLECTION_NAME = 80;

/** A collection's name: trimmed, 1-80 characters, unique among the account's collections. */
export const CollectionName = z.string().trim().min(1).max(MAX_COLLECTION_NAME);

export const CollectionView = z.object({
  id: z.string(),
  name: z.string(),
  /** How many images it holds. */
  images: z.number().int(),
  /** The newest-added image's thumbnail (or full image), for the list; null when empty. */
  coverUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CollectionView = z.infer<typeof CollectionView>;

export const CollectionListView = z.array(CollectionView);
export type CollectionListView = z.infer<typeof CollectionListView>;

/** A collection's id. */
export const CollectionId = z.string().uuid();

export const CollectionRef = z.object({ id: CollectionId });

/** One image (by id), for the image view's list of the collections holding it. */
export const ImageCollectionsInput = z.object({ imageId: z.string().uuid() });

export const CollectionCreateInput = z.object({ name: CollectionName });

export const CollectionRenameInput = z.object({ id: CollectionId, name: CollectionName });

/** Images into or out of one collection (the gallery's selection, or one image). */
export const CollectionImagesInput = z.object({ id: CollectionId, imageIds: GalleryImageIds });

/** One collection's images, newest-added first, a cursor page at a time. */
export const CollectionImagesListInput = z.object({
  id: CollectionId,
  limit: z.number().int().min(1).max(100).default(30),
  /** The `nextCursor` of the previous page. */
  cursor: z.string().uuid().optional(),
});
export type CollectionImagesListInput = z.input<typeof CollectionImagesListInput>;

export const CollectionImagesView = z.object({ collection: CollectionView, page: GalleryListView });
export type CollectionImagesView = z.infer<typeof CollectionImagesView>;

/** Which of the caller's collections hold an image, for the image view's checkboxes. */
export const ImageCollectionsView = z.array(z.string());
