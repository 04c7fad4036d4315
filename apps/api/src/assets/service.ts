/**
 * Assets: one store for the images a user brings (uploads, formerly "references"), kept in the
 * `references` table. Owner-only: another user's id is answered exactly like a missing one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DomainError, type AssetView } from '@darkroom/core';
import { postgresErrorOf, type Db, type Tx } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { AuthUser } from '../context.js';
import type { ReferenceLimits } from '../env.js';
import { checkUpload, EXTENSION, MIME, normalizeUpload } from './normalize.js';

type Asset = Awaited<ReturnType<Db['reference']['findFirstOrThrow']>>;

export function assetUrl(id: string): string {
  return `/assets/${id}/file`;
}

export function toAssetView(asset: Asset): AssetView {
  return {
    id: asset.id,
    url: assetUrl(asset.id),
    thumbnailUrl: asset.thumbnailKey ? `/assets/${asset.id}/thumbnail` : null,
    mime: asset.mime,
    width: asset.width,
    height: asset.height,
    bytes: asset.bytes,
    sha256: asset.sha256,
    tags: asset.tags,
    description: asset.description,
    palette: asset.palette as string[],
    createdAt: asset.createdAt.toISOString(),
  };
}

/**
 * The per-account caps on stored assets: their number (MAX_REFERENCES_PER_USER) and their bytes
 * together (ASSET_QUOTA_BYTES, counting `incoming` too). RATE_LIMITED naming the limit.
 */
export async function assertRoomForAsset(
  db: Db | Tx,
  userId: string,
  limits: ReferenceLimits,
  incoming = 0,
): Promise<void> {
  const { _count: stored, _sum: sum } = await db.reference.aggregate({
    where: { userId },
    _count: true,
    _sum: { bytes: true },
  });
  if (stored >= limits.maxPerUser)
    throw new DomainError(
      'RATE_LIMITED',
      `an account may keep at most ${limits.maxPerUser} images (MAX_REFERENCES_PER_USER); delete some first`,
      { limit: 'MAX_REFERENCES_PER_USER', maximum: limits.maxPerUser },
    );
  const used = sum.bytes ?? 0;
  if (limits.quotaBytes !== undefined && used + incoming > limits.quotaBytes)
    throw new DomainError(
      'RATE_LIMITED',
      `an account may keep at most ${limits.quotaBytes} bytes of images (ASSET_QUOTA_BYTES); ${used} are used, this one needs ${incoming}`,
      { limit: 'ASSET_QUOTA_BYTES', maximum: limits.quotaBytes, used, incoming },
    );
}

/**
 * Stores an upload as an asset, or answers the caller's existing asset with the same content (sha256
 * of the uploaded bytes): `created` says which. Checked from the header before anything decodes it
 * (normalize.ts), then oriented and stripped of metadata, with a thumbnail. The caps are checked again
 * under a per-account lock with the insert, so concurrent uploads cannot pass them together.
 */
export async function uploadAsset({
  db,
  storage,
  user,
  body,
  tags = [],
  description = '',
  limits,
}: {
  db: Db;
  storage: ImageStorage;
  user: AuthUser;
  body: Buffer;
  tags?: string[];
  description?: string;
  limits: ReferenceLimits;
}): Promise<{ asset: AssetView; created: boolean }> {
  await checkUpload(body, limits);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const existing = await db.reference.findFirst({ where: { userId: user.id, sha256 } });
  if (existing) return { asset: toAssetView(existing), created: false };
  const image = await normalizeUpload(body, limits);
  const id = randomUUID();
  const key = `assets/${user.id}/${id}.${EXTENSION[image.format]}`;
  const thumbnailKey = `assets/${user.id}/${id}.thumb.webp`;
  try {
    const asset = await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`select pg_advisory_xact_lock(hashtext('darkroom:references'), hashtext(${user.id}))`;
        await assertRoomForAsset(tx, user.id, limits, image.body.length);
        // The files before the row, so a row never names a missing file; a failed insert leaves
        // orphan files at worst, never a row without bytes.
        await storage.put(key, image.body, MIME[image.format]);
        await storage.put(thumbnailKey, image.thumbnail, 'image/webp');
        return tx.reference.create({
          data: {
            id,
            userId: user.id,
            storageKey: key,
            thumbnailKey,
            sha256,
            mime: MIME[image.format],
            width: image.width,
            height: image.height,
            bytes: image.body.length,
            tags,
            description,
            palette: image.palette,
          },
        });
      },
      { timeout: 60_000 },
    );
    return { asset: toAssetView(asset), created: true };
  } catch (error) {
    // The same bytes uploaded twice at once: the second insert meets the first's (user, sha256).
    if (postgresErrorOf(error)?.originalCode !== '23505') throw error;
    await Promise.allSettled([storage.delete(key), storage.delete(thumbnailKey)]);
    const winner = await db.reference.findFirst({ where: { userId: user.id, sha256 } });
    if (!winner) throw error;
    return { asset: toAssetView(winner), created: false };
  }
}

export async function listAssets({ db, user }: { db: Db; user: AuthUser }): Promise<AssetView[]> {
  const assets = await db.reference.findMany({
    where: { userId: user.id },
    orderBy: { createdAt: 'desc' },
    take: 200,
  });
  return assets.map(toAssetView);
}

export async function getAsset({ db, user, id }: { db: Db; user: AuthUser; id: string }): Promise<AssetView> {
  const asset = await db.reference.findFirst({ where: { id, userId: user.id } });
  if (!asset) throw new DomainError('NOT_FOUND', `asset ${id} not found`);
  return toAssetView(asset);
}

/**
 * Deletes an asset. Jobs that used it keep their input rows (asset id set null by the foreign key) with
 * the storage keys they copied, so their files stay while any job names them; retention removes them
 * with the last such job.
 */
export async function deleteAsset({
  db,
  storage,
  user,
  id,
}: {
  db: Db;
  storage: ImageStorage;
  user: AuthUser;
  id: string;
}): Promise<{ id: string }> {
  const asset = await db.reference.findFirst({ where: { id, userId: user.id } });
  if (!asset) throw new DomainError('NOT_FOUND', `asset ${id} not found`);
  const keys = [asset.storageKey, ...(asset.thumbnailKey ? [asset.thumbnailKey] : [])];
  const used = await db.$transaction(async (tx) => {
    await tx.reference.delete({ where: { id } });
    const rows = await tx.jobInput.findMany({
      where: { OR: [{ storageKey: { in: keys } }, { thumbnailKey: { in: keys } }] },
      select: { storageKey: true, thumbnailKey: true },
    });
    return new Set(rows.flatMap((row) => [row.storageKey, row.thumbnailKey]));
  });
  await Promise.allSettled(keys.filter((key) => !used.has(key)).map((key) => storage.delete(key)));
  return { id };
}
