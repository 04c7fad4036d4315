/**
 * A request's image inputs, checked and resolved at submit before anything is written: the kind its
 * provider must be able to do (core PROVIDER_KINDS), the references it may take, and each id resolved
 * against the caller's assets, then the caller's succeeded result images. Another user's id is answered
 * exactly like a missing one. What comes out is written with the job (lifecycle's accept), storage keys
 * copied, so the job outlives the asset.
 */
import {
  DomainError,
  kindOf,
  PRESET_DEFINITIONS,
  presetRolesMissing,
  PROVIDER_KINDS,
  providersForKind,
  type JobInputs,
  type JobRequest,
} from '@darkroom/core';
import type { Db, JobInputRow, ResolvedInputs, Tx } from '@darkroom/db';
import type { AuthUser } from '../context.js';
import type { AccountSettings } from '../env.js';

/**
 * Refuses a preset without the reference roles it is made from (`preset_role_missing`, naming the role),
 * a kind the provider cannot do (`kind_not_supported`, with the enabled providers that can),
 * more references than it takes for that kind (`too_many_references`), and a per-image mode whose
 * references do not match numImages. Synchronous: no database.
 */
export function assertInputsSupported(settings: AccountSettings, request: JobRequest, prefix = '') {
  const inputs = request.inputs;
  const [missing] = presetRolesMissing(request.preset, inputs?.references);
  if (missing) {
    throw new DomainError(
      'BAD_INPUT',
      `preset ${request.preset} needs a reference with role ${missing} (${prefix}inputs.references[].role = "${missing}")`,
      {
        field: `${prefix}inputs.references`,
        reason: 'preset_role_missing',
        preset: request.preset,
        role: missing,
        roles: PRESET_DEFINITIONS[request.preset].roles,
      },
    );
  }
  if (!inputs) return;
  const kind = kindOf(inputs);
  const references = inputs.references?.length ?? 0;
  const limits = PROVIDER_KINDS[request.provider][kind];
  if (!limits) {
    const able = providersForKind(kind, references, settings.enabledProviders);
    throw new DomainError(
      'BAD_INPUT',
      `provider ${request.provider} cannot do ${kind}; enabled providers that can: ${able.join(', ') || 'none'}`,
      { field: `${prefix}provider`, reason: 'kind_not_supported', provider: request.provider, kind, providers: able },
    );
  }
  if (references > limits.maxReferences) {
    throw new DomainError(
      'BAD_INPUT',
      `provider ${request.provider} takes at most ${limits.maxReferences} references for ${kind} (got ${references})`,
      {
        field: `${prefix}inputs.references`,
        reason: 'too_many_references',
        provider: request.provider,
        kind,
        maximum: limits.maxReferences,
        providers: providersForKind(kind, references, settings.enabledProviders),
      },
    );
  }
  if (inputs.referenceMode === 'per-image' && request.numImages !== references) {
    throw new DomainError(
      'BAD_INPUT',
      `referenceMode per-image gives image i reference i: numImages must be ${references} (got ${request.numImages})`,
      { field: `${prefix}numImages`, reason: 'per_image_count', expected: references, got: request.numImages },
    );
  }
}

interface Named {
  slot: JobInputRow['slot'];
  position: number;
  role: string | null;
  id: string;
  field: string;
}

function namedInputs(inputs: JobInputs, prefix: string): Named[] {
  const named: Named[] = [];
  if (inputs.image)
    named.push({ slot: 'image', position: 0, role: null, id: inputs.image, field: `${prefix}inputs.image` });
  if (inputs.mask)
    named.push({ slot: 'mask', position: 0, role: null, id: inputs.mask, field: `${prefix}inputs.mask` });
  inputs.references?.forEach((reference, index) =>
    named.push({
      slot: 'reference',
      position: index,
      role: reference.role,
      id: reference.id,
      field: `${prefix}inputs.references.${index}.id`,
    }),
  );
  return named;
}

/**
 * Resolves each input id against the caller's assets, then their succeeded result images: NOT_FOUND
 * naming the field (`inputs.references.2.id`) when neither has it. A mask must be its image's size.
 * Null when the request has no inputs.
 */
export async function resolveInputs({
  db,
  user,
  request,
  prefix = '',
}: {
  db: Db | Tx;
  user: AuthUser;
  request: JobRequest;
  prefix?: string;
}): Promise<ResolvedInputs | null> {
  const inputs = request.inputs;
  if (!inputs) return null;
  const named = namedInputs(inputs, prefix);
  const ids = [...new Set(named.map((input) => input.id))];
  const [assets, images] = await Promise.all([
    db.reference.findMany({
      where: { id: { in: ids }, userId: user.id },
      select: { id: true, storageKey: true, thumbnailKey: true, mime: true, width: true, height: true },
    }),
    db.image.findMany({
      where: { id: { in: ids }, status: 'succeeded', job: { userId: user.id } },
      select: { id: true, storageKey: true, thumbnailKey: true, mime: true, width: true, height: true },
    }),
  ]);
  const assetById = new Map(assets.map((asset) => [asset.id, asset]));
  const imageById = new Map(images.map((image) => [image.id, image]));
  const rows = named.map((input): JobInputRow => {
    const asset = assetById.get(input.id);
    const image = imageById.get(input.id);
    const source = asset ?? image;
    if (!source?.storageKey || !source.mime || !source.width || !source.height)
      throw new DomainError('NOT_FOUND', `${input.field}: no asset or image ${input.id}`, {
        field: input.field,
        id: input.id,
      });
    return {
      slot: input.slot,
      position: input.position,
      role: input.role,
      assetId: asset ? asset.id : null,
      imageId: asset ? null : image!.id,
      storageKey: source.storageKey,
      thumbnailKey: source.thumbnailKey,
      mime: source.mime,
      width: source.width,
      height: source.height,
    };
  });
  const image = rows.find((row) => row.slot === 'image');
  const mask = rows.find((row) => row.slot === 'mask');
  if (image && mask && (image.width !== mask.width || image.height !== mask.height))
    throw new DomainError(
      'BAD_INPUT',
      `${prefix}inputs.mask must be the image's size: the image is ${image.width}x${image.height}, the mask ${mask.width}x${mask.height}`,
      {
        field: `${prefix}inputs.mask`,
        reason: 'mask_size',
        image: { width: image.width, height: image.height },
        mask: { width: mask.width, height: mask.height },
      },
    );
  return {
    kind: kindOf(inputs),
    parentImageId: image?.imageId ?? null,
    options: {
      referenceMode: inputs.referenceMode,
      ...(inputs.strength !== undefined ? { strength: inputs.strength } : {}),
      ...(inputs.upscale !== undefined ? { upscale: inputs.upscale } : {}),
    },
    rows,
  };
}
