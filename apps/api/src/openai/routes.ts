/**
 * The OpenAI-compatible face: POST /v1/images/generations and GET /v1/models, so OpenAI SDKs work with
 * `baseURL` pointed at Darkroom and a Darkroom API key as their key. Errors use OpenAI's error object.
 */
import { DOMAIN_ERRORS, isDomainError } from '@darkroom/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import type { Authentication } from '../auth/authenticate.js';
import type { AuthUser, Services } from '../context.js';
import type { UrlSigner } from '../signed-urls.js';
import {
  CallerGone,
  generateOpenAiImages,
  JobEndedWithoutImages,
  listOpenAiModels,
  WaitLimitReached,
} from './service.js';
import { streamOpenAiImages } from './stream.js';
import { registerOpenAiEditRoutes } from './edits.js';
import { openAiRequestScope } from './request-scope.js';
import { OpenAiImageRequest, type OpenAiErrorBody } from './wire.js';

export function registerOpenAiRoutes(
  app: FastifyInstance,
  {
    services,
    authenticate,
    signer,
    waitSeconds,
  }: {
    services: Services;
    authenticate: (request: FastifyRequest) => Promise<Authentication>;
    signer: UrlSigner;
    waitSeconds: number;
  },
) {
  const callerOf = async (request: FastifyRequest, reply: FastifyReply): Promise<AuthUser | null> => {
    const { user, error } = await authenticate(request);
    if (!user) {
      const message = error ?? 'send a Darkroom API key as the API key (Authorization: Bearer dk_...)';
      void sendOpenAiError(reply, 401, {
        message,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      });
    }
    return user;
  };

  app.register(
    async (scope) => {
      scope.setErrorHandler((error, request, reply) => {
        if (error instanceof ZodError) {
          const issue = error.issues[0]!;
          return sendOpenAiError(reply, 400, {
            message: issue.message,
            type: 'invalid_request_error',
            param: issue.path.map(String).join('.') || null,
            code: 'invalid_value',
          });
        }
        if (error instanceof CallerGone) {
          // Nobody to answer; the job runs on and is charged only for what it stores.
          request.log.info({ err: error }, 'openai-compatible caller went away; its job goes on');
          return reply.code(499).send();
        }
        if (error instanceof WaitLimitReached) {
          // The job was canceled: retrying the same request would only wait as long again.
          reply.header('x-should-retry', 'false');
          return sendOpenAiError(reply, 504, {
            message: error.message,
            type: 'server_error',
            param: null,
            code: 'timeout',
          });
        }
        if (error instanceof JobEndedWithoutImages) {
          const code = error.job.error?.code ?? error.job.status;
          if (code === 'content_filtered')
            return sendOpenAiError(reply, 400, {
              message: error.message,
              type: 'invalid_request_error',
              param: 'prompt',
              code: 'content_policy_violation',
            });
          reply.header('x-should-retry', String(error.job.error?.retryable ?? false));
          return sendOpenAiError(reply, 500, { message: error.message, type: 'server_error', param: null, code });
        }
        if (isDomainError(error)) {
          const seconds = error.details?.retryAfterSeconds;
          if (typeof seconds === 'number') reply.header('Retry-After', String(seconds));
          const { openai, retryable } = DOMAIN_ERRORS[error.code];
          // OpenAI's SDKs retry every 429; an empty balance will not fill itself.
          if (openai.httpStatus === 429 && !retryable) reply.header('x-should-retry', 'false');
          const field = error.details?.field;
          // Darkroom's provider is OpenAI's model: an unknown one is OpenAI's model_not_found.
          if (error.details?.reason === 'provider_not_enabled') {
            return sendOpenAiError(reply, 400, {
              message: error.message,
              type: 'invalid_request_error',
              param: 'model',
              code: 'model_not_found',
            });
          }
          if (error.details?.reason === 'content_filtered') {
            return sendOpenAiError(reply, 400, {
              message: error.message,
              type: 'invalid_request_error',
              param: 'prompt',
              code: 'content_policy_violation',
            });
          }
          return sendOpenAiError(reply, openai.httpStatus, {
            message: error.message,
            type: openai.type,
            code: openai.code,
            // An edit's inputs are OpenAI's `image` and `mask` parameters.
            param:
              typeof field === 'string'
                ? field.replace(/^inputs\.(image|mask|references).*$/, (_, name: string) =>
                    name === 'mask' ? 'mask' : 'image',
                  )
                : null,
          });
        }
        const fastifyError = error as FastifyError;
        if (fastifyError.statusCode && fastifyError.statusCode < 500) {
          return sendOpenAiError(reply, fastifyError.statusCode, {
            message: fastifyError.message,
            type: 'invalid_request_error',
            param: null,
            code: null,
          });
        }
        request.log.error({ err: error }, 'openai-compatible request failed');
        return sendOpenAiError(reply, 500, {
          message: 'something went wrong inside Darkroom',
          type: 'server_error',
          param: null,
          code: null,
        });
      });

      scope.post('/images/generations', async (request, reply) => {
        const user = await callerOf(request, reply);
        if (!user) return reply;
        const input = OpenAiImageRequest.parse(request.body);
        const { idempotencyKey, gone } = openAiRequestScope(request, reply, services.closing);
        const origin = `${request.protocol}://${request.host}`;
        if (input.stream) {
          await streamOpenAiImages({ services, user, input, idempotencyKey, waitSeconds, reply, gone });
          return reply;
        }
        return generateOpenAiImages({ services, user, input, idempotencyKey, waitSeconds, origin, signer, gone });
      });

      registerOpenAiEditRoutes(scope, { services, callerOf, signer, waitSeconds });

      scope.get('/models', async (request, reply) => {
        const user = await callerOf(request, reply);
        if (!user) return reply;
        return { object: 'list', data: await listOpenAiModels(services.db, services.settings) };
      });
    },
    { prefix: '/v1' },
  );
}

function sendOpenAiError(reply: FastifyReply, status: number, error: OpenAiErrorBody['error']) {
  return reply.code(status).send({ error } satisfies OpenAiErrorBody);
}
