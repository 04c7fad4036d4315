/**
 * REST under /api/v1: thin routes over the same services and core schemas as the tRPC procedures,
 * described by the OpenAPI document in openapi.ts. Auth is the same (Bearer API key or session cookie),
 * and so are the limits, since the services apply them.
 */
import {
  DomainError,
  EditRegionRequest,
  JobListQuery,
  JobRef,
  JobRequest,
  jobAcceptedFrom,
  UpscaleRequest,
  VaryRequest,
  type JobView,
} from '@darkroom/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authentication } from '../auth/authenticate.js';
import type { AuthUser, Services } from '../context.js';
import { quoteJob } from '../jobs/quote.js';
import { editImageRegion, upscaleImage, varyImage } from '../jobs/derived.js';
import { getJob, listJobs } from '../jobs/read.js';
import { cancelJob, createJob, retryJob } from '../jobs/traced.js';
import { listModels } from '../models/service.js';
import { getQueueStatus } from '../queue/service.js';
import { listWebhookDeliveries } from '../webhooks/service.js';
import { sendRestError } from './errors.js';
import { registerOrganizeRoutes } from './organize-routes.js';
import { registerCollectionRoutes } from '../gallery/collections-routes.js';

export const REST_PREFIX = '/api/v1';

export function registerRestRoutes(
  app: FastifyInstance,
  {
    services,
    authenticate,
  }: { services: Services; authenticate: (request: FastifyRequest) => Promise<Authentication> },
) {
  const { db, settings, limits } = services;
  const callerOf = async (request: FastifyRequest): Promise<AuthUser> => {
    const { user, error } = await authenticate(request);
    if (!user)
      throw new DomainError('UNAUTHORIZED', error ?? 'sign in or send an API key (Authorization: Bearer dk_...)');
    return user;
  };
  const accepted = (reply: FastifyReply, view: JobView) =>
    reply.code(202).header('Location', `${REST_PREFIX}/jobs/${view.id}`).send(jobAcceptedFrom(view));

  app.register(
    async (scope) => {
      scope.setErrorHandler(sendRestError);
      registerOrganizeRoutes(scope, services, callerOf);
      registerCollectionRoutes(scope, services, callerOf);

      scope.post('/generations', async (request, reply) => {
        const user = await callerOf(request);
        const body =
          request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : request.body;
        // The Idempotency-Key header is the REST way to say what the body's idempotencyKey says.
        const header = request.headers['idempotency-key'];
        const withKey =
          typeof header === 'string' && body && typeof body === 'object' && !('idempotencyKey' in body)
            ? { ...body, idempotencyKey: header }
            : body;
        const input = JobRequest.parse(withKey);
        return accepted(reply, await createJob({ db, user, settings, limits, input }));
      });

      scope.post('/quotes', async (request) => {
        const user = await callerOf(request);
        return quoteJob({ db, user, settings, input: JobRequest.parse(request.body) });
      });
      // Jobs derived from a result image: the id in the path, the rest in the body.
      const derived =
        <T>(
          parse: (body: unknown) => T,
          submit: (options: Services & { user: AuthUser; input: T }) => Promise<JobView>,
        ) =>
        async (request: FastifyRequest, reply: FastifyReply) => {
          const user = await callerOf(request);
          const body = request.body && typeof request.body === 'object' ? request.body : {};
          const input = parse({ ...body, imageId: (request.params as { id?: string }).id });
          return accepted(reply, await submit({ ...services, user, input }));
        };
      scope.post(
        '/images/:id/variations',
        derived((body) => VaryRequest.parse(body), varyImage),
      );
      scope.post(
        '/images/:id/upscale',
        derived((body) => UpscaleRequest.parse(body), upscaleImage),
      );
      scope.post(
        '/images/:id/edits',
        derived((body) => EditRegionRequest.parse(body), editImageRegion),
      );

      scope.get('/jobs', async (request) => {
        const user = await callerOf(request);
        return listJobs({ db, user, input: JobListQuery.parse(request.query) });
      });

      scope.get('/jobs/:id', async (request) => {
        const user = await callerOf(request);
        return getJob({ db, user, id: JobRef.parse(request.params).id });
      });

      scope.delete('/jobs/:id', async (request) => {
        const user = await callerOf(request);
        return cancelJob({ db, user, id: JobRef.parse(request.params).id });
      });

      scope.post('/jobs/:id/retry', async (request, reply) => {
        const user = await callerOf(request);
        return accepted(reply, await retryJob({ db, user, settings, limits, id: JobRef.parse(request.params).id }));
      });

      scope.get('/jobs/:id/webhook-deliveries', async (request) => {
        const user = await callerOf(request);
        return listWebhookDeliveries({ db, user, id: JobRef.parse(request.params).id });
      });

      scope.get('/models', async (request) => {
        await callerOf(request);
        return listModels({ db, enabledProviders: settings.enabledProviders });
      });

      scope.get('/queue', async (request) => {
        await callerOf(request);
        return getQueueStatus({ db, settings });
      });
    },
    { prefix: REST_PREFIX },
  );
}
