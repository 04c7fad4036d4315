import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { pendingMigrations, type Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { MAX_REFERENCE_BYTES } from '@darkroom/core';
import { registerReferenceRoutes } from './references/routes.js';
import type { AuthUser, Context } from './context.js';
import { registerImageRoutes } from './images.js';
import { makeUrlSigner } from './signed-urls.js';
import { appRouter, type AppRouter } from './router.js';

export interface ServerOptions {
  db: Db;
  databaseUrl: string;
  storage: ImageStorage;
  /** Resolves the caller of a request (today: always the local default user). */
  authenticate: () => Promise<AuthUser | null>;
  webDistDir: string;
  logLevel: string;
  /** Signs expiring image links; the same on every API replica. Default: random per process. */
  imageUrlSecret?: string;
}

/** The HTTP face of Darkroom: tRPC, images, health, and the web app. Not yet listening. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { db, storage } = options;
  const app = Fastify({
    logger: { level: options.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    // tRPC batches put several procedure names in one path segment.
    routerOptions: { maxParamLength: 5000 },
    bodyLimit: 1024 * 1024,
  });

  const createContext = async (): Promise<Context> => ({ db, storage, user: await options.authenticate() });
  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext,
      onError({ error, path: procedure }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') app.log.error({ err: error, procedure }, 'procedure failed');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

  registerImageRoutes(app, { db, storage, authenticate: options.authenticate, signer: makeUrlSigner(options.imageUrlSecret) });
  registerReferenceRoutes(app, { db, storage, authenticate: options.authenticate });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: `the body is larger than this route accepts (${request.url.startsWith('/api/v1/references') ? MAX_REFERENCE_BYTES : app.initialConfig.bodyLimit} bytes)` } });
    }
    if (error.statusCode && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: error.code ?? 'BAD_REQUEST', message: error.message } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'something went wrong inside Darkroom' } });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await db.$queryRaw`select 1`;
      const pending = await pendingMigrations(options.databaseUrl);
      if (pending.length > 0) return reply.code(503).send({ status: 'migrations pending', pending });
      return { status: 'ready' };
    } catch (error) {
      return reply.code(503).send({ status: 'database unavailable', error: (error as Error).message });
    }
  });

  await serveWebApp(app, options.webDistDir);
  return app;
}

/** The built SPA, with index.html for any other GET so client-side routes survive a reload. */
async function serveWebApp(app: FastifyInstance, webDistDir: string) {
  const index = path.join(webDistDir, 'index.html');
  if (!existsSync(index)) {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain').send('The web app is not built: run `npm start` (or `pnpm --filter @darkroom/web build`).'),
    );
    return;
  }
  await app.register(fastifyStatic, { root: webDistDir, wildcard: false, index: 'index.html' });
  app.setNotFoundHandler((request, reply) => {
    const isApi = /^\/(trpc|images|api|v1)(\/|$)/.test(request.url);
    if (request.method === 'GET' && !isApi && request.headers.accept?.includes('text/html')) {
      return reply.sendFile('index.html');
    }
    return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route for ${request.method} ${request.url}` } });
  });
}
