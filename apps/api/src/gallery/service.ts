/**
 * The gallery: the caller's images across jobs (their own only, admins included: a gallery is
 * personal), favourites, and removing an image from the gallery (its job keeps it).
 */
import {
  DomainError,
  type GalleryImageView,
  type GalleryListInput,
  type GalleryListView,
  type ProjectListView,
} from '@darkroom/core';
import { imageUrl, type Prisma } from '@darkroom/db';
import type { ServiceOptions } from '../jobs/options.js';

export const include = {
  job: {
    select: {
      prompt: true,
      negativePrompt: true,
      preset: true,
      style: true,
      aspectRatio: true,
      provider: true,
      model: true,
      quality: true,
      projectId: true,
      creditPrice: true,
      width: true,
      height: true,
    },
  },
} satisfies Prisma.ImageInclude;

type ImageRow = Prisma.ImageGetPayload<{ include: typeof include }> & { galleryMarks?: { favourite: boolean }[] };

export function toView(row: ImageRow, favourite: boolean): GalleryImageView {
  const { job } = row;
  return {
    id: row.id,
    jobId: row.jobId,
    index: row.index,
    url: imageUrl(row.id),
    thumbnailUrl: row.thumbnailKey ? `${imageUrl(row.id)}/thumbnail` : null,
    mime: row.mime,
    width: row.width ?? job.width,
    height: row.height ?? job.height,
    seed: row.seed,
    prompt: job.prompt,
    sentPrompt: row.prompt,
    negativePrompt: job.negativePrompt,
    preset: job.preset as GalleryImageView['preset'],
    style: job.style,
    aspectRatio: job.aspectRatio as GalleryImageView['aspectRatio'],
    provider: (row.provider ?? job.provider) as GalleryImageView['provider'],
    model: job.model,
    quality: job.quality as GalleryImageView['quality'],
    projectId: job.projectId,
    createdAt: (row.finishedAt ?? row.createdAt).toISOString(),
    durationMs: row.durationMs,
    credits: job.creditPrice,
    favourite,
  };
}

/** The caller's made images that are still in the gallery. */
export function shown(userId: string): Prisma.ImageWhereInput {
  return {
    status: 'succeeded',
    storageKey: { not: null },
    job: { userId },
    galleryMarks: { none: { removedAt: { not: null } } },
  };
}

/** Newest first; `nextCursor` is the id to pass for the following page, null on the last one. */
export async function listGallery({
  db,
  user,
  input,
}: ServiceOptions & { input: GalleryListInput & { limit: number } }): Promise<GalleryListView> {
  const where: Prisma.ImageWhereInput = {
    AND: [
      shown(user.id),
      input.projectId ? { job: { projectId: input.projectId } } : {},
      input.favourites ? { galleryMarks: { some: { favourite: true } } } : {},
    ],
  };
  const rows = await db.image.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: { ...include, galleryMarks: { select: { favourite: true } } },
  });
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((row) =>
      toView(
        row,
        row.galleryMarks.some((mark) => mark.favourite),
      ),
    ),
    nextCursor: rows.length > input.limit ? page.at(-1)!.id : null,
  };
}

export async function getGalleryImage({ db, user, id }: ServiceOptions & { id: string }): Promise<GalleryImageView> {
  const row = await db.image.findFirst({
    where: { id, ...shown(user.id) },
    include: { ...include, galleryMarks: { select: { favourite: true } } },
  });
  // Another user's image answers exactly like a missing one.
  if (!row) throw new DomainError('NOT_FOUND', `image ${id} not found`);
  return toView(
    row,
    row.galleryMarks.some((mark) => mark.favourite),
  );
}

/** Marks or unmarks a favourite; answers with the image as the gallery now shows it. */
export async function setFavourite({
  db,
  user,
  id,
  favourite,
}: ServiceOptions & { id: string; favourite: boolean }): Promise<GalleryImageView> {
  await getGalleryImage({ db, user, id });
  await db.galleryMark.upsert({
    where: { imageId: id },
    create: { imageId: id, userId: user.id, favourite },
    update: { favourite },
  });
  return getGalleryImage({ db, user, id });
}

/** Takes an image out of the gallery, its favourites and its collections; the job it belongs to still shows it. */
export async function removeFromGallery({ db, user, id }: ServiceOptions & { id: string }): Promise<void> {
  await getGalleryImage({ db, user, id });
  const removedAt = new Date();
  await db.$transaction([
    db.galleryMark.upsert({
      where: { imageId: id },
      create: { imageId: id, userId: user.id, removedAt },
      update: { removedAt, favourite: false },
    }),
    // Out of the gallery is out of every collection too.
    db.collectionImage.deleteMany({ where: { imageId: id } }),
  ]);
}

/** The projects the caller's jobs name, most used first. */
export async function listProjects({ db, user }: ServiceOptions): Promise<ProjectListView> {
  const groups = await db.job.groupBy({
    by: ['projectId'],
    where: { userId: user.id, projectId: { not: null } },
    _count: { _all: true },
    orderBy: { _count: { projectId: 'desc' } },
    take: 200,
  });
  return groups.map((group) => ({ projectId: group.projectId!, jobs: group._count._all }));
}
