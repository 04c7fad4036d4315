import { randomUUID } from 'node:crypto';
import { DomainError, REFERENCE_FORMATS, type ReferenceView } from '@darkroom/core';
import type { Db, Tx } from '@darkroom/db';
import { paletteOf, sniffImage } from '@darkroom/imaging';
import type { ImageStorage } from '@darkroom/storage';
import type { AuthUser } from '../context.js';
import type { ReferenceLimits } from '../env.js';

type Reference = Awaited<ReturnType<Db['reference']['findFirstOrThrow']>>;

export function toReferenceView(reference: Reference): ReferenceView {
  return {
    id: reference.id,
    url: `/references/${reference.id}/file`,
    mime: reference.mime,
    width: reference.width,
    height: reference.height,
    bytes: reference.bytes,
    tags: reference.tags,
    description: reference.description,
    palette: reference.palette as string[],
    createdAt: reference.createdAt.toISOString(),
  };
}

const MIME: Record<(typeof REFERENCE_FORMATS)[number], string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};
const EXTENSION: Record<(typeof REFERENCE_FORMATS)[number], string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/** The per-account cap on stored references, or RATE_LIMITED naming MAX_REFERENCES_PER_USER. */
export async function assertRoomForReference(db: Db | Tx, userId: string, limits: ReferenceLimits): Promise<void> {
  const stored = await db.reference.count({ where: { userId } });
  if (stored >= limits.maxPerUser)
    throw new DomainError(
      'RATE_LIMITED',
      `an account may keep at most ${limits.maxPerUser} references (MAX_REFERENCES_PER_USER); delete some first`,
      { limit: 'MAX_REFERENCES_PER_USER', maximum: limits.maxPerUser },
    );
}

const refuse = (message: string, details: Record<string, unknown>) =>
  new DomainError('BAD_INPUT', message, { field: 'body', ...details });

/**
 * Stores an uploaded reference image. Its type and size are read from the bytes' header (a content
 * type can lie) and checked before anything decodes it: anything but PNG, JPEG or WebP, over
 * REFERENCE_MAX_BYTES, or over REFERENCE_MAX_PIXELS (a decompression bomb: a few hundred KB that
 * would decode to gigabytes) is refused. Then it is decoded once, in full and bounded, for its
 * palette, which also refuses a truncated or corrupt file. The count cap is checked again under a
 * per-account lock with the insert, so concurrent uploads cannot pass it together.
 */
export async function uploadReference({
  db,
  storage,
  user,
  body,
  tags,
  description,
  limits,
}: {
  db: Db;
  storage: ImageStorage;
  user: AuthUser;
  body: Buffer;
  tags: string[];
  description: string;
  limits: ReferenceLimits;
}): Promise<ReferenceView> {
  if (body.length > limits.maxBytes)
    throw refuse(`a reference may be at most ${limits.maxBytes} bytes (got ${body.length})`, {
      limit: 'REFERENCE_MAX_BYTES',
      maximum: limits.maxBytes,
    });
  const format = await sniffImage(body);
  if (!format || !REFERENCE_FORMATS.includes(format.format as (typeof REFERENCE_FORMATS)[number]))
    throw refuse(`a reference must be a PNG, JPEG or WebP image; these bytes are ${format?.format ?? 'not an image'}`, {
      reason: 'format',
      accepted: REFERENCE_FORMATS,
    });
  const pixels = format.width * format.height;
  if (pixels > limits.maxPixels)
    throw refuse(
      `a reference may have at most ${limits.maxPixels} pixels; this one is ${format.width}x${format.height} (${pixels})`,
      { limit: 'REFERENCE_MAX_PIXELS', maximum: limits.maxPixels, pixels },
    );
  const palette = await paletteOf(body, 4, { maxPixels: limits.maxPixels }).catch((error: unknown) => {
    throw refuse(`the image could not be decoded: it is truncated or corrupt (${(error as Error).message})`, {
      reason: 'corrupt',
    });
  });
  const kind = format.format as (typeof REFERENCE_FORMATS)[number];
  const id = randomUUID();
  const key = `references/${user.id}/${id}.${EXTENSION[kind]}`;
  const reference = await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`select pg_advisory_xact_lock(hashtext('darkroom:references'), hashtext(${user.id}))`;
      await assertRoomForReference(tx, user.id, limits);
      // The file before the row, so a row never names a missing file; a failed insert leaves an orphan
      // file at worst (the orphan sweep's business), never a row without bytes.
      await storage.put(key, body, MIME[kind]);
      return tx.reference.create({
        data: {
          id,
          userId: user.id,
          storageKey: key,
          mime: MIME[kind],
          width: format.width,
          height: format.height,
          bytes: body.length,
          tags,
          description,
          palette,
        },
      });
    },
    { timeout: 60_000 },
  );
  return toReferenceView(reference);
}

export async function listReferences({ db, user }: { db: Db; user: AuthUser }): Promise<ReferenceView[]> {
  const references = await db.reference.findMany({
    where: { userId: user.id },
    orderBy: { createdAt: 'desc' },
    take: 200,
  });
  return references.map(toReferenceView);
}

export async function deleteReference({
  db,
  storage,
  user,
  id,
}: {
  db: Db;
  storage: ImageStorage;
  user: AuthUser;
  id: string;
}) {
  const reference = await db.reference.findFirst({ where: { id, userId: user.id } });
  if (!reference) throw new DomainError('NOT_FOUND', `reference ${id} not found`);
  await db.reference.delete({ where: { id } });
  await storage.delete(reference.storageKey);
  return { id };
}
