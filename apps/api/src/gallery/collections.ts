/**
 * Collections (boards): a user's named sets of their own gallery images. Another user's collection or
 * image answers exactly like a missing one. Limits (collections per user, images per collection) are
 * checked under a row lock, so two requests at once cannot both slip under them.
 */
import {
  DomainError,
  MAX_COLLECTIONS_PER_USER,
  MAX_IMAGES_PER_COLLECTION,
  type CollectionImagesListInput,
  type CollectionImagesView,
  type CollectionView,
} from '@darkroom/core';
import { imageUrl, Prisma, type Tx } from '@darkroom/db';
import type { ServiceOptions } from '../jobs/options.js';
import { ownImages } from './organize.js';
import { include, shown, toView } from './service.js';

const select = {
  id: true,
  name: true,
  createdAt: true,
  updatedAt: true,
  _count: { select: { images: true } },
  images: {
    orderBy: [{ addedAt: 'desc' }, { imageId: 'desc' }],
    take: 1,
    select: { image: { select: { id: true, thumbnailKey: true } } },
  },
} satisfies Prisma.CollectionSelect;

type CollectionRow = Prisma.CollectionGetPayload<{ select: typeof select }>;

function toCollectionView(row: CollectionRow): CollectionView {
  const cover = row.images[0]?.image;
  return {
    id: row.id,
    name: row.name,
    images: row._count.images,
    coverUrl: cover ? `${imageUrl(cover.id)}${cover.thumbnailKey ? '/thumbnail' : ''}` : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function nameTaken(name: string) {
  return new DomainError('CONFLICT', `you already have a collection named "${name}"`, { field: 'name', name });
}

/** Runs `write`, answering a unique-name clash as CONFLICT naming the field. */
async function uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw nameTaken(name);
    throw error;
  }
}

/** The caller's collection `id`, locked for this transaction, or NOT_FOUND. */
async function lockOwn(tx: Tx, userId: string, id: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM collections WHERE id = ${id}::uuid AND user_id = ${userId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new DomainError('NOT_FOUND', `collection ${id} not found`);
}

async function getOwn({ db, user, id }: ServiceOptions & { id: string }): Promise<CollectionView> {
  const row = await db.collection.findFirst({ where: { id, userId: user.id }, select });
  if (!row) throw new DomainError('NOT_FOUND', `collection ${id} not found`);
  return toCollectionView(row);
}

/** The caller's collections, most recently changed first. */
export async function listCollections({ db, user }: ServiceOptions): Promise<CollectionView[]> {
  const rows = await db.collection.findMany({
    where: { userId: user.id },
    orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    take: MAX_COLLECTIONS_PER_USER,
    select,
  });
  return rows.map(toCollectionView);
}

export async function createCollection({ db, user, name }: ServiceOptions & { name: string }) {
  const id = await uniqueName(name, () =>
    db.$transaction(async (tx) => {
      // The user's row is the lock that keeps the count honest under concurrent creates.
      await tx.$queryRaw`SELECT id FROM users WHERE id = ${user.id}::uuid FOR UPDATE`;
      const count = await tx.collection.count({ where: { userId: user.id } });
      if (count >= MAX_COLLECTIONS_PER_USER) {
        throw new DomainError('BAD_INPUT', `you can have at most ${MAX_COLLECTIONS_PER_USER} collections`, {
          field: 'name',
          maximum: MAX_COLLECTIONS_PER_USER,
        });
      }
      if (await tx.collection.findFirst({ where: { userId: user.id, name }, select: { id: true } }))
        throw nameTaken(name);
      return (await tx.collection.create({ data: { userId: user.id, name }, select: { id: true } })).id;
    }),
  );
  return getOwn({ db, user, id });
}

export async function renameCollection({ db, user, id, name }: ServiceOptions & { id: string; name: string }) {
  await uniqueName(name, () =>
    db.$transaction(async (tx) => {
      await lockOwn(tx, user.id, id);
      const clash = await tx.collection.findFirst({
        where: { userId: user.id, name, id: { not: id } },
        select: { id: true },
      });
      if (clash) throw nameTaken(name);
      await tx.collection.update({ where: { id }, data: { name } });
    }),
  );
  return getOwn({ db, user, id });
}

/** Deletes the collection; its images stay in the gallery. */
export async function deleteCollection({ db, user, id }: ServiceOptions & { id: string }) {
  const { count } = await db.collection.deleteMany({ where: { id, userId: user.id } });
  if (count === 0) throw new DomainError('NOT_FOUND', `collection ${id} not found`);
}

/** Adds the caller's gallery images (all or none); one already in it stays where it is. */
export async function addToCollection({ db, user, id, imageIds }: ServiceOptions & { id: string; imageIds: string[] }) {
  await db.$transaction(async (tx) => {
    await lockOwn(tx, user.id, id);
    await ownImages({ db: tx, user, ids: imageIds });
    const already = await tx.collectionImage.count({ where: { collectionId: id, imageId: { in: imageIds } } });
    const total = (await tx.collectionImage.count({ where: { collectionId: id } })) + imageIds.length - already;
    if (total > MAX_IMAGES_PER_COLLECTION) {
      throw new DomainError(
        'BAD_INPUT',
        `a collection holds at most ${MAX_IMAGES_PER_COLLECTION} images (this would make ${total})`,
        { field: 'imageIds', maximum: MAX_IMAGES_PER_COLLECTION },
      );
    }
    await tx.collectionImage.createMany({
      data: imageIds.map((imageId) => ({ collectionId: id, imageId })),
      skipDuplicates: true,
    });
    await tx.collection.update({ where: { id }, data: { updatedAt: new Date() } });
  });
  return getOwn({ db, user, id });
}

/** Takes images out of the collection (never out of the gallery); one not in it is already out. */
export async function removeFromCollection({
  db,
  user,
  id,
  imageIds,
}: ServiceOptions & { id: string; imageIds: string[] }) {
  await db.$transaction(async (tx) => {
    await lockOwn(tx, user.id, id);
    await ownImages({ db: tx, user, ids: imageIds });
    await tx.collectionImage.deleteMany({ where: { collectionId: id, imageId: { in: imageIds } } });
    await tx.collection.update({ where: { id }, data: { updatedAt: new Date() } });
  });
  return getOwn({ db, user, id });
}

/** The collection and a page of its images, newest-added first. */
export async function listCollectionImages({
  db,
  user,
  input,
}: ServiceOptions & { input: CollectionImagesListInput & { limit: number } }): Promise<CollectionImagesView> {
  const collection = await getOwn({ db, user, id: input.id });
  const rows = await db.collectionImage.findMany({
    where: { collectionId: input.id, image: shown(user.id) },
    orderBy: [{ addedAt: 'desc' }, { imageId: 'desc' }],
    take: input.limit + 1,
    ...(input.cursor
      ? { cursor: { collectionId_imageId: { collectionId: input.id, imageId: input.cursor } }, skip: 1 }
      : {}),
    select: { image: { include: { ...include, galleryMarks: { select: { favourite: true } } } } },
  });
  const page = rows.slice(0, input.limit);
  return {
    collection,
    page: {
      items: page.map(({ image }) =>
        toView(
          image,
          image.galleryMarks.some((mark) => mark.favourite),
        ),
      ),
      nextCursor: rows.length > input.limit ? page.at(-1)!.image.id : null,
    },
  };
}

/** The ids of the caller's collections that hold the image (NOT_FOUND when it is not theirs). */
export async function collectionsOfImage({ db, user, imageId }: ServiceOptions & { imageId: string }) {
  await ownImages({ db, user, ids: [imageId] });
  const rows = await db.collectionImage.findMany({
    where: { imageId, collection: { userId: user.id } },
    select: { collectionId: true },
  });
  return rows.map((row) => row.collectionId);
}
