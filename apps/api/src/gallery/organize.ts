/**
 * The gallery's bulk actions and projects: removing several images at once, putting images' jobs in a
 * project, renaming a project. All or nothing: one id that is not the caller's (another user's answers
 * like a missing one) refuses the whole request and writes nothing.
 */
import { DomainError } from '@darkroom/core';
import type { Prisma, Tx } from '@darkroom/db';
import type { ServiceOptions } from '../jobs/options.js';

/** The caller's gallery images among `ids` (with their jobs), or NOT_FOUND naming the first missing one. */
export async function ownImages({
  db,
  user,
  ids,
}: Omit<ServiceOptions, 'db'> & { db: ServiceOptions['db'] | Tx; ids: string[] }) {
  const where: Prisma.ImageWhereInput = {
    id: { in: ids },
    status: 'succeeded',
    storageKey: { not: null },
    job: { userId: user.id },
    galleryMarks: { none: { removedAt: { not: null } } },
  };
  const rows = await db.image.findMany({ where, select: { id: true, jobId: true } });
  const found = new Set(rows.map((row) => row.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw new DomainError('NOT_FOUND', `image ${missing} not found`);
  return rows;
}

/** Takes every image out of the gallery and its collections (their jobs keep them); answers how many. */
export async function removeManyFromGallery({ db, user, ids }: ServiceOptions & { ids: string[] }) {
  await ownImages({ db, user, ids });
  const removedAt = new Date();
  await db.$transaction([
    ...ids.map((imageId) =>
      db.galleryMark.upsert({
        where: { imageId },
        create: { imageId, userId: user.id, removedAt },
        update: { removedAt, favourite: false },
      }),
    ),
    db.collectionImage.deleteMany({ where: { imageId: { in: ids } } }),
  ]);
  return { removed: ids.length };
}

/** Puts the images' jobs in `projectId` (null: in none); answers how many jobs moved. */
export async function moveToProject({
  db,
  user,
  ids,
  projectId,
}: ServiceOptions & { ids: string[]; projectId: string | null }) {
  const jobIds = [...new Set((await ownImages({ db, user, ids })).map((row) => row.jobId))];
  const { count } = await db.job.updateMany({
    where: { id: { in: jobIds }, userId: user.id },
    data: { projectId, updatedAt: new Date() },
  });
  return { jobs: count };
}

/** Renames one of the caller's projects (every job that names it); into an existing name merges them. */
export async function renameProject({ db, user, from, to }: ServiceOptions & { from: string; to: string }) {
  const { count } = await db.job.updateMany({
    where: { userId: user.id, projectId: from },
    data: { projectId: to, updatedAt: new Date() },
  });
  if (count === 0) throw new DomainError('NOT_FOUND', `project ${from} not found`);
  return { jobs: count };
}
