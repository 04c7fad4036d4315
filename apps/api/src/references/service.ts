/**
 * References: the upload surface from before assets (POST /api/v1/references, `references.*`). Each is
 * an asset now (assets/service.ts, the same store and checks); these answer the older view.
 */
import type { AssetView, ReferenceView } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import { deleteAsset, listAssets, uploadAsset } from '../assets/service.js';
import type { AuthUser } from '../context.js';
import type { ReferenceLimits } from '../env.js';

export function toReferenceView(asset: AssetView): ReferenceView {
  const { id, mime, width, height, bytes, tags, description, palette, createdAt } = asset;
  return { id, url: `/references/${id}/file`, mime, width, height, bytes, tags, description, palette, createdAt };
}

/** Stores an upload as an asset (or answers the same bytes' existing one); see uploadAsset. */
export async function uploadReference(options: {
  db: Db;
  storage: ImageStorage;
  user: AuthUser;
  body: Buffer;
  tags: string[];
  description: string;
  limits: ReferenceLimits;
}): Promise<ReferenceView> {
  return toReferenceView((await uploadAsset(options)).asset);
}

export async function listReferences({ db, user }: { db: Db; user: AuthUser }): Promise<ReferenceView[]> {
  return (await listAssets({ db, user })).map(toReferenceView);
}

export const deleteReference = deleteAsset;
