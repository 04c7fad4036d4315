import { randomUUID } from 'node:crypto';
import { DomainError, MAX_REFERENCE_BYTES, REFERENCE_FORMATS, type ReferenceView } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import { paletteOf, sniffImage } from '@darkroom/imaging';
import type { ImageStorage } from '@darkroom/storage';
import type { AuthUser } from '../context.js';

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

/**
 * Stores an uploaded reference image. Its type is sniffed from the bytes (a header can lie); anything
 * but PNG, JPEG or WebP, or anything larger than MAX_REFERENCE_BYTES, is refused before a byte is stored.
 */
export async function uploadReference({
  db,
  storage,
  user,
  body,
  tags,
  description,
}: {
  db: Db;
  storage: ImageStorage;
  user: AuthUser;
  body: Buffer;
  tags: string[];
  description: string;
}): Promise<ReferenceView> {
  if (body.length > MAX_REFERENCE_BYTES) {
    throw new DomainError('BAD_INPUT', `a reference may be at most ${MAX_REFERENCE_BYTES} bytes (got ${body.length})`, {
      field: 'body',
      maximum: MAX_REFERENCE_BYTES,
    });
  }
  const format = await sniffImage(body);
  if (!format || !REFERENCE_FORMATS.includes(format.format as (typeof REFERENCE_FORMATS)[number])) {
    throw new DomainError(
      'BAD_INPUT',
      `a reference must be a PNG, JPEG or WebP image; these bytes are ${format?.format ?? 'not an image'}`,
      {
        field: 'body',
        accepted: REFERENCE_FORMATS,
      },
    );
  }
  const kind = format.format as (typeof REFERENCE_FORMATS)[number];
  const id = randomUUID();
  const key = `references/${user.id}/${id}.${EXTENSION[kind]}`;
  const palette = await paletteOf(body);
  await storage.put(key, body, MIME[kind]);
  const reference = await db.reference.create({
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
