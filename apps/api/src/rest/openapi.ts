/**
 * The OpenAPI 3.1 document of the REST API, built from the same core zod schemas the routes parse
 * with (`z.toJSONSchema`, JSON Schema 2020-12, which is OpenAPI 3.1's dialect), so the two cannot
 * drift apart field by field.
 */
import {
  AssetView,
  EditRegionRequest,
  UpscaleRequest,
  VaryRequest,
  ApiError,
  JobAccepted,
  JobListQuery,
  JobListView,
  JobRequest,
  JobView,
  QueueStatus,
  QuoteView,
  ModelCatalogView,
  WebhookDeliveryView,
} from '@darkroom/core';
import { z } from 'zod';
import { collectionPaths, collectionSchemas } from './openapi-collections.js';
import { json, ref, schemaOf, type JsonSchema } from './openapi-kit.js';
import { organizePaths, organizeSchemas } from './openapi-organize.js';
import { REST_PREFIX } from './routes.js';

const error = (description: string) => ({ description, content: json(ref('Error')) });

const JOB_ID = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const COMMON_ERRORS = {
  '400': error('Bad input: `details.issues` lists each field path, message and limit'),
  '401': error('No credentials, or a bad, revoked or expired API key or session'),
  '429': {
    ...error('Too many requests'),
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } },
  },
};

/** Query parameters from a zod object, each with its own JSON schema. */
function queryParameters(schema: z.ZodObject) {
  const json = schemaOf(schema, 'input') as { properties: Record<string, JsonSchema> };
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    schema: property,
  }));
}

export function buildOpenApiDocument(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Darkroom REST API',
      version: '1.0.0',
      description:
        'Asynchronous image generation. Submit a job, get 202 at once, then follow it with GET /jobs/{id}. ' +
        'Authenticate with `Authorization: Bearer <API key>` (create one in the web app) or the web app session cookie. ' +
        'Errors are `{ error: { code, message, details } }`; codes: BAD_INPUT 400, UNAUTHORIZED 401, INSUFFICIENT_CREDITS 402, ' +
        'FORBIDDEN 403, NOT_FOUND 404, CONFLICT / INVALID_STATE 409, RATE_LIMITED 429 (with Retry-After).',
    },
    servers: [{ url: REST_PREFIX }],
    security: [{ apiKey: [] }, { session: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A Darkroom API key, dk_...' },
        session: { type: 'apiKey', in: 'cookie', name: 'darkroom_session' },
      },
      schemas: {
        JobRequest: schemaOf(JobRequest, 'input'),
        JobAccepted: schemaOf(JobAccepted, 'output'),
        Quote: schemaOf(QuoteView, 'output'),
        JobView: schemaOf(JobView, 'output'),
        JobList: schemaOf(JobListView, 'output'),
        QueueStatus: schemaOf(QueueStatus, 'output'),
        ModelCatalog: schemaOf(ModelCatalogView, 'output'),
        WebhookDeliveries: schemaOf(WebhookDeliveryView.array(), 'output'),
        Error: schemaOf(ApiError, 'output'),
        Asset: schemaOf(AssetView, 'output'),
        AssetList: schemaOf(z.object({ items: AssetView.array() }), 'output'),
        VaryBody: schemaOf(VaryRequest.omit({ imageId: true }), 'input'),
        UpscaleBody: schemaOf(UpscaleRequest.omit({ imageId: true }), 'input'),
        EditBody: schemaOf(EditRegionRequest.omit({ imageId: true }), 'input'),
        ...organizeSchemas(),
        ...collectionSchemas(),
      },
    },
    paths: {
      ...organizePaths(COMMON_ERRORS),
      ...collectionPaths(COMMON_ERRORS),
      '/generations': {
        post: {
          operationId: 'createGeneration',
          summary: 'Submit a generation job',
          description:
            'Accepted at once; a worker generates the images later. Send `Idempotency-Key` (or `idempotencyKey`) to make retries safe.',
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } },
          ],
          requestBody: { required: true, content: json(ref('JobRequest')) },
          responses: {
            '202': {
              description: 'Accepted and queued',
              headers: { Location: { description: 'The job, at GET /jobs/{id}', schema: { type: 'string' } } },
              content: json(ref('JobAccepted')),
            },
            ...COMMON_ERRORS,
            '402': error('INSUFFICIENT_CREDITS: the balance does not cover numImages x price'),
            '409': error('CONFLICT: the idempotency key was used with a different request'),
          },
        },
      },
      '/quotes': {
        post: {
          operationId: 'quoteGeneration',
          summary: 'What a generation would cost and when it would run, without submitting it',
          description:
            'The same checks, price and queue place as POST /generations, answered at once; nothing is written or held. ' +
            '`affordable` says whether the balance covers it now.',
          requestBody: { required: true, content: json(ref('JobRequest')) },
          responses: { '200': { description: 'The quote', content: json(ref('Quote')) }, ...COMMON_ERRORS },
        },
      },
      '/jobs': {
        get: {
          operationId: 'listJobs',
          summary: 'Your jobs, newest first',
          description: 'Pass the `nextCursor` of a page as `cursor` for the next one; null on the last page.',
          parameters: queryParameters(JobListQuery),
          responses: { '200': { description: 'A page of jobs', content: json(ref('JobList')) }, ...COMMON_ERRORS },
        },
      },
      '/jobs/{id}': {
        get: {
          operationId: 'getJob',
          summary: 'One job: status, stage, progress, queue position, images',
          parameters: [JOB_ID],
          responses: {
            '200': { description: 'The job', content: json(ref('JobView')) },
            ...COMMON_ERRORS,
            '404': error('No such job (or not yours)'),
          },
        },
        delete: {
          operationId: 'cancelJob',
          summary: 'Cancel a queued or running job',
          description:
            'A queued job ends canceled at once (credits refunded); a running one is asked to stop before its next image.',
          parameters: [JOB_ID],
          responses: {
            '200': { description: 'The job after the cancel', content: json(ref('JobView')) },
            ...COMMON_ERRORS,
            '404': error('No such job (or not yours)'),
            '409': error('INVALID_STATE: the job has already ended'),
          },
        },
      },
      '/jobs/{id}/retry': {
        post: {
          operationId: 'retryJob',
          summary: 'Run a finished job again for the images it lacks',
          parameters: [JOB_ID],
          responses: {
            '202': { description: 'Queued again', content: json(ref('JobAccepted')) },
            ...COMMON_ERRORS,
            '402': error('INSUFFICIENT_CREDITS'),
            '404': error('No such job (or not yours)'),
            '409': error('INVALID_STATE: the job is still queued or running, or has every image'),
          },
        },
      },
      '/jobs/{id}/webhook-deliveries': {
        get: {
          operationId: 'listWebhookDeliveries',
          summary: "Every attempt at delivering the job's webhook",
          description:
            'A job with `webhookUrl` is POSTed to when it ends, signed with Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature). ' +
            'Each attempt is one entry: status code, error, and whether another attempt follows.',
          parameters: [JOB_ID],
          responses: {
            '200': { description: 'Delivery attempts, oldest first', content: json(ref('WebhookDeliveries')) },
            ...COMMON_ERRORS,
            '404': error('No such job (or not yours)'),
          },
        },
      },
      '/models': {
        get: {
          operationId: 'listModels',
          summary: 'What each enabled provider offers a job to choose: models, LoRAs, samplers',
          responses: { '200': { description: 'Catalogs', content: json(ref('ModelCatalog')) }, ...COMMON_ERRORS },
        },
      },
      '/assets': {
        post: {
          operationId: 'uploadAsset',
          summary: 'Upload an image (PNG, JPEG or WebP) to name in job inputs',
          description:
            'The image as the raw body (Content-Type image/png, image/jpeg or image/webp) or as the `file` part of ' +
            'multipart/form-data (optional `tags`, `description` parts). The bytes decide the type. EXIF orientation ' +
            'is applied and metadata (GPS included) dropped. The same bytes again answer 200 with the existing asset. ' +
            'Limits: REFERENCE_MAX_BYTES (413), REFERENCE_MAX_PIXELS, MAX_REFERENCES_PER_USER and ASSET_QUOTA_BYTES (429).',
          requestBody: {
            required: true,
            content: {
              'image/png': { schema: { type: 'string', format: 'binary' } },
              'image/jpeg': { schema: { type: 'string', format: 'binary' } },
              'image/webp': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: {
                    file: { type: 'string', format: 'binary' },
                    tags: { type: 'string', description: 'comma-separated' },
                    description: { type: 'string' },
                  },
                },
              },
            },
          },
          responses: {
            '201': { description: 'Stored', content: json(ref('Asset')) },
            '200': { description: 'The same bytes were stored before: that asset', content: json(ref('Asset')) },
            ...COMMON_ERRORS,
            '413': error('PAYLOAD_TOO_LARGE: over REFERENCE_MAX_BYTES'),
            '415': error('UNSUPPORTED_MEDIA_TYPE: not a PNG, JPEG or WebP'),
          },
        },
        get: {
          operationId: 'listAssets',
          summary: 'Your assets, newest first',
          responses: { '200': { description: 'Assets', content: json(ref('AssetList')) }, ...COMMON_ERRORS },
        },
      },
      '/assets/{id}': {
        get: {
          operationId: 'getAsset',
          summary: 'One asset',
          parameters: [JOB_ID],
          responses: {
            '200': { description: 'The asset', content: json(ref('Asset')) },
            ...COMMON_ERRORS,
            '404': error('No such asset (or not yours)'),
          },
        },
        delete: {
          operationId: 'deleteAsset',
          summary: 'Delete an asset; jobs that used it keep their inputs',
          parameters: [JOB_ID],
          responses: {
            '200': { description: 'Deleted' },
            ...COMMON_ERRORS,
            '404': error('No such asset (or not yours)'),
          },
        },
      },
      ...derivedPaths(),
      '/queue': {
        get: {
          operationId: 'getQueue',
          summary: 'The queue at a glance: length, running, average wait, workers, system status',
          responses: { '200': { description: 'Queue status', content: json(ref('QueueStatus')) }, ...COMMON_ERRORS },
        },
      },
    },
  };
}

/** Jobs derived from a result image: each answers like POST /generations and records the image as parent. */
function derivedPaths() {
  const derived = (operationId: string, summary: string, body: string) => ({
    post: {
      operationId,
      summary,
      parameters: [JOB_ID],
      requestBody: { required: body === 'EditBody', content: json(ref(body)) },
      responses: {
        '202': { description: 'Accepted and queued', content: json(ref('JobAccepted')) },
        ...COMMON_ERRORS,
        '402': error('INSUFFICIENT_CREDITS'),
        '404': error('No such image (or not yours), or no such mask asset'),
      },
    },
  });
  return {
    '/images/{id}/variations': derived('varyImage', 'Variations of a result image (image-to-image)', 'VaryBody'),
    '/images/{id}/upscale': derived('upscaleImage', 'A result image upscaled 2x or 4x', 'UpscaleBody'),
    '/images/{id}/edits': derived(
      'editImageRegion',
      'A result image regenerated where a mask asset is white (white = regenerate, black = keep)',
      'EditBody',
    ),
  };
}
