/**
 * OpenAI's POST /v1/images/edits and /v1/images/variations, multipart exactly as the official `openai`
 * SDK sends it: `image` or `image[]` (up to 16; the first is the one edited, the rest references),
 * `mask`, and text fields. Each image is stored as the caller's asset (deduplicated) and named in the
 * job's inputs. On this surface a mask means what it means to OpenAI: fully transparent pixels are
 * edited, opaque ones kept; it is converted to Darkroom's white = regenerate before it is stored.
 */
import multipart from '@fastify/multipart';
import { DomainError, type JobInputsInput } from '@darkroom/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import sharp from 'sharp';
import { z } from 'zod';
import { deleteAsset, uploadAsset } from '../assets/service.js';
import type { AuthUser, Services } from '../context.js';
import type { UrlSigner } from '../signed-urls.js';
import { openAiRequestScope } from './request-scope.js';
import { generateOpenAiImages } from './service.js';
import { streamOpenAiImages } from './stream.js';
import { OpenAiImageRequest } from './wire.js';

/** Images one edit may send, as OpenAI allows. */
const MAX_EDIT_IMAGES = 16;

/** The text fields of an edit, as multipart strings (n arrives as "2", stream as "true"). */
const OpenAiEditFields = OpenAiImageRequest.extend({
  n: z.coerce.number().int().min(1).max(10).default(1),
  input_fidelity: z.enum(['low', 'high']).optional(),
  stream: z
    .enum(['true', 'false'], { message: 'stream must be true or false' })
    .transform((value) => value === 'true')
    .default(false),
  partial_images: z.coerce
    .number({ message: 'partial_images must be a whole number from 0 to 3' })
    .int('partial_images must be 0 to 3')
    .min(0, 'partial_images must be 0 to 3')
    .max(3, 'partial_images must be 0 to 3')
    .default(0),
});
const OpenAiVariationFields = OpenAiEditFields.omit({ prompt: true }).extend({
  prompt: z.string().trim().min(1).max(4000).default('a variation of this image'),
});

interface Form {
  images: Buffer[];
  mask?: Buffer;
  fields: Record<string, string>;
}

async function readForm(request: FastifyRequest): Promise<Form> {
  if (!request.isMultipart())
    throw new DomainError('BAD_INPUT', 'send multipart/form-data with the image as the `image` part', {
      field: 'image',
    });
  const form: Form = { images: [], fields: {} };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (part.fieldname === 'mask') form.mask = bytes;
        else if (part.fieldname === 'image' || part.fieldname === 'image[]') form.images.push(bytes);
      } else if (typeof part.value === 'string') {
        form.fields[part.fieldname] = part.value;
      }
    }
  } catch (error) {
    // The multipart plugin's own limits answer with their status (413 and the like); a body that is not
    // multipart at all, whatever its Content-Type says, is the caller's mistake, not a 500.
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status < 500) throw error;
    throw new DomainError('BAD_INPUT', `the multipart body could not be read (${(error as Error).message})`, {
      field: 'image',
    });
  }
  if (form.images.length === 0)
    throw new DomainError('BAD_INPUT', 'an edit needs at least one image (the `image` part)', { field: 'image' });
  if (form.images.length > MAX_EDIT_IMAGES)
    throw new DomainError('BAD_INPUT', `at most ${MAX_EDIT_IMAGES} images (got ${form.images.length})`, {
      field: 'image',
      maximum: MAX_EDIT_IMAGES,
    });
  return form;
}

/** OpenAI's mask (alpha 0 = edit) as Darkroom's (white = regenerate, black = keep), a greyscale PNG. */
export async function maskFromOpenAi(mask: Buffer): Promise<Buffer> {
  return sharp(mask, { failOn: 'warning' })
    .ensureAlpha()
    .extractChannel('alpha')
    .negate()
    .png()
    .toBuffer()
    .catch((error: unknown) => {
      throw new DomainError('BAD_INPUT', `the mask is not an image that can be read (${(error as Error).message})`, {
        field: 'mask',
      });
    });
}

export function registerOpenAiEditRoutes(
  scope: FastifyInstance,
  {
    services,
    callerOf,
    signer,
    waitSeconds,
  }: {
    services: Services;
    callerOf: (request: FastifyRequest, reply: FastifyReply) => Promise<AuthUser | null>;
    signer: UrlSigner;
    waitSeconds: number;
  },
) {
  const limits = services.settings.references;
  scope.register(async (edits) => {
    await edits.register(multipart, {
      limits: { fileSize: limits.maxBytes, files: MAX_EDIT_IMAGES + 1, fields: 20 },
    });
    const handle =
      (variation: boolean) =>
      async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
        const user = await callerOf(request, reply);
        if (!user) return reply;
        const form = await readForm(request);
        const input = (variation ? OpenAiVariationFields : OpenAiEditFields).parse(form.fields);
        // Uploads this request made (not ones it found already stored): a refusal takes them back.
        const created: string[] = [];
        const store = async (body: Buffer) => {
          const upload = await uploadAsset({ db: services.db, storage: services.storage, user, body, limits });
          if (upload.created) created.push(upload.asset.id);
          return upload.asset.id;
        };
        try {
          const [image, ...others] = await Promise.all(form.images.map(store));
          const inputs: JobInputsInput = {
            image: image!,
            ...(others.length ? { references: others.map((id) => ({ id, role: 'subject' })) } : {}),
            ...(form.mask && !variation ? { mask: await store(await maskFromOpenAi(form.mask)) } : {}),
          };
          const { idempotencyKey, gone } = openAiRequestScope(request, reply, services.closing);
          const call = { services, user, input, idempotencyKey, waitSeconds, gone, inputs };
          if (input.stream && !variation) {
            await streamOpenAiImages({ ...call, reply, events: 'image_edit' });
            return reply;
          }
          return await generateOpenAiImages({ ...call, origin: `${request.protocol}://${request.host}`, signer });
        } catch (error) {
          await forgetUnused(user, created);
          throw error;
        }
      };
    /** Deletes the assets no job took: once a job holds an input, the asset is that job's to keep. */
    const forgetUnused = async (user: AuthUser, ids: string[]) => {
      if (ids.length === 0) return;
      const used = await services.db.jobInput.findMany({ where: { assetId: { in: ids } }, select: { assetId: true } });
      const kept = new Set(used.map((row) => row.assetId));
      for (const id of ids.filter((id) => !kept.has(id)))
        await deleteAsset({ db: services.db, storage: services.storage, user, id }).catch(() => undefined);
    };
    edits.post('/images/edits', { bodyLimit: (MAX_EDIT_IMAGES + 1) * limits.maxBytes }, handle(false));
    edits.post('/images/variations', { bodyLimit: 2 * limits.maxBytes }, handle(true));
  });
}
