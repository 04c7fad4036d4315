import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { isDomainError } from '@darkroom/core';
import { isDatabaseUnavailable, listenForJobChanges, pendingMigrations, type Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pg from 'pg';
import { z, ZodError } from 'zod';
import type { DestinationStream } from 'pino';
import { makeAuthenticator } from './auth/authenticate.js';
import { registerHostCheck } from './auth/hosts.js';
import { registerOriginCheck } from './auth/origin.js';
import { SESSION_COOKIE } from './auth/tokens.js';
import type { Context, Services } from './context.js';
import type { AccountSettings, TrustProxy } from './env.js';
import { registerImageRoutes } from './images.js';
import { registerInputFileRoutes } from './input-files.js';
import { makeStreamSlots } from './jobs/stream-slots.js';
import { registerMetrics } from './metrics.js';
import { registerRequestSpans } from './request-spans.js';
import { makeRateLimits } from './rate-limits.js';
import { registerOpenAiRoutes } from './openai/routes.js';
import { registerReferenceRoutes } from './references/routes.js';
import { registerAssetRoutes } from './assets/routes.js';
import { makeUrlSigner, sharedImageUrlSecret } from './signed-urls.js';
import { buildOpenApiDocument } from './rest/openapi.js';
import { REST_PREFIX, registerRestRoutes } from './rest/routes.js';
import { appRouter, type AppRouter } from './router.js';
import { assertStorableText } from './storable-text.js';
import { registerLeanTrpcCalls } from './trpc-lean-calls.js';
import { guardTrpcTransport, sendWholeTrpcAnswers } from './trpc-transport.js';
import { DATABASE_RETRY_AFTER_SECONDS, databaseUnavailable } from './unavailable.js';

export interface ServerOptions {
  db: Db;
  databaseUrl: string;
  storage: ImageStorage;
  settings: AccountSettings;
  /** When set, /metrics answers only to `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string | undefined;
  webDistDir: string;
  logLevel: string;
  /** Take the client's address from X-Forwarded-For (only behind a proxy that sets it). Default false. */
  trustProxy?: TrustProxy;
  /** How long `POST /v1/images/generations` waits for its job before giving up, in seconds. Default 120. */
  openAiWaitSeconds?: number;
  /** Where logs go; default stdout. Tests pass a stream to read them. */
  logStream?: DestinationStream;
  /** Signs expiring image links; the same on every API replica. Default: one kept in the database. */
  imageUrlSecret?: string;
  /** How long a cached API key is trusted without a change announced by Postgres, in ms. Default 10 s. */
  apiKeyCacheTtlMs?: number;
  /** A span per request (traces were started, `startTelemetry`). Default false: no hooks at all. */
  traces?: boolean;
}

/** The HTTP face of Darkroom: tRPC, images, health, and the web app. Not yet listening. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { db, storage, settings } = options;
  const app = Fastify({
    logger: {
      level: options.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    // tRPC batches put several procedure names in one path segment.
    // (At most TRPC_MAX_BATCH_SIZE names of at most ~40 characters; the request line as a whole is
    // bounded by Node's 16 KiB header limit.)
    routerOptions: { maxParamLength: 1000 },
    bodyLimit: 1024 * 1024,
    // Behind a load balancer the client's address is in X-Forwarded-For (log-in throttling uses it);
    // trusted only when configured, or anyone could pick a fresh address per guess.
    trustProxy: fastifyTrustProxy(options.trustProxy ?? false),
  });
  // First, so the request span covers the hooks that refuse requests before routing too.
  if (options.traces) registerRequestSpans(app);

  const jobChanges = await listenForJobChanges({
    databaseUrl: options.databaseUrl,
    onError: (error) => app.log.warn({ err: error }, 'job change feed: connection trouble, reconnecting'),
  });
  app.addHook('onClose', () => jobChanges.close());
  // Fastify's close waits for every request in flight, and a live stream never ends by itself: each one
  // ends when closing starts, so a stopping API is not held open by a browser tab.
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());
  const streams = makeStreamSlots({ perUser: settings.maxStreamsPerUser, perProcess: settings.maxStreamsPerProcess });
  const { authenticate, close: closeAuthenticator } = makeAuthenticator({
    db,
    changes: jobChanges,
    ttlMs: options.apiKeyCacheTtlMs,
  });
  app.addHook('onClose', async () => closeAuthenticator());
  // Rate-limit counters live in Postgres, shared by every replica.
  const limitsPool = new pg.Pool({ connectionString: options.databaseUrl, max: 3 });
  limitsPool.on('error', (error) => app.log.warn({ err: error }, 'rate limit pool error'));
  app.addHook('onClose', () => limitsPool.end());
  const limits = makeRateLimits(limitsPool, settings);

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // Only where Darkroom is served over HTTPS; on plain http it would break every asset.
        upgradeInsecureRequests: settings.cookieSecure ? [] : null,
      },
    },
    strictTransportSecurity: settings.cookieSecure,
  });
  registerHostCheck(app, settings.allowedHosts);
  registerOriginCheck(app, settings.trustedOrigins);

  const cookieFor = (reply: FastifyReply): Context['cookie'] => ({
    set: (token, expiresAt) =>
      void reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: settings.cookieSecure,
        expires: expiresAt,
      }),
    clear: () =>
      void reply.clearCookie(SESSION_COOKIE, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: settings.cookieSecure,
      }),
  });
  const createContext = async ({ req, res }: { req: FastifyRequest; res: FastifyReply }): Promise<Context> => {
    const auth = await authenticate(req).catch((error: unknown) => {
      throw isDatabaseUnavailable(error) ? databaseUnavailable(error) : error;
    });
    if (auth.user) {
      // From here on (the procedure, and the request's "completed" line) logs say who asked.
      req.log = req.log.child({ userId: auth.user.id });
      res.log = req.log;
    }
    return {
      log: req.log,
      db,
      storage,
      jobChanges,
      closing: closing.signal,
      streams,
      stillAuthenticated: async () => Boolean(auth.user) && (await authenticate(req)).user?.id === auth.user?.id,
      settings,
      limits,
      user: auth.user,
      authError: auth.error,
      sessionId: auth.sessionId,
      client: { ip: req.ip, userAgent: req.headers['user-agent'] ?? null },
      cookie: cookieFor(res),
    };
  };
  // tRPC in a scope of its own: only JSON reaches it, and what is refused before it is answered in its shape.
  await app.register(async (scope) => {
    guardTrpcTransport(scope);
    sendWholeTrpcAnswers(scope);
    const trpcOptions = {
      router: appRouter,
      // One request, one handful of calls: 50 sign-ups in one batch used to make 50 funded accounts.
      maxBatchSize: settings.trpcMaxBatchSize,
      createContext,
      onError({ error, path: procedure }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') app.log.error({ err: error, procedure }, 'procedure failed');
      },
      // A rate-limited call says when to come back, as HTTP clients expect.
      responseMeta({ errors }) {
        if (errors.some((error) => error.code === 'SERVICE_UNAVAILABLE'))
          return { headers: new Headers({ 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) }) };
        const retryAfter = errors
          .map((error) => error.cause)
          .find((cause) => isDomainError(cause) && cause.code === 'RATE_LIMITED');
        const seconds = isDomainError(retryAfter) ? retryAfter.details?.retryAfterSeconds : undefined;
        return typeof seconds === 'number' ? { headers: new Headers({ 'Retry-After': String(seconds) }) } : {};
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'];
    // The polled queries skip the fetch adapter (trpc-lean-reads.ts); the plugin serves the rest.
    registerLeanTrpcCalls(scope, trpcOptions);
    await scope.register(fastifyTRPCPlugin, { prefix: '/trpc', trpcOptions });
  });

  // Every other route: text Postgres cannot store is a bad request (a ZodError each scope answers in its shape).
  app.addHook('preValidation', async (request) => {
    for (const part of [request.params, request.query, request.body]) assertStorableText(part);
  });
  if (!options.imageUrlSecret)
    app.log.warn(
      'IMAGE_URL_SECRET is unset: signed image links use a key kept in the database (table instance_secrets), shared by every API replica on it; set IMAGE_URL_SECRET (32+ random characters, the same on every replica) to choose and rotate it yourself',
    );
  const signer = makeUrlSigner(options.imageUrlSecret ?? (await sharedImageUrlSecret(db)));
  registerImageRoutes(app, { db, storage, authenticate, signer, embeddable: settings.signedLinksEmbeddable });
  registerInputFileRoutes(app, { db, storage, authenticate, signer });
  registerReferenceRoutes(app, { db, storage, authenticate, limits: settings.references, rateLimits: limits });
  registerAssetRoutes(app, { db, storage, authenticate, limits: settings.references, rateLimits: limits });
  const services: Services = { db, storage, jobChanges, closing: closing.signal, streams, settings, limits };
  registerRestRoutes(app, { services, authenticate });
  registerOpenAiRoutes(app, { services, authenticate, signer, waitSeconds: options.openAiWaitSeconds ?? 120 });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: {
          code: 'PAYLOAD_TOO_LARGE',
          message: `the body is larger than this route accepts (${app.initialConfig.bodyLimit} bytes)`,
        },
      });
    }
    if (error instanceof ZodError)
      return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: z.prettifyError(error) } });
    if (error.statusCode && error.statusCode < 500) {
      return reply
        .code(error.statusCode)
        .send({ error: { code: error.code ?? 'BAD_REQUEST', message: error.message } });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return reply
        .code(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
        .send({
          error: { code: 'SERVICE_UNAVAILABLE', message: 'the database is unavailable right now; retry shortly' },
        });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'something went wrong inside Darkroom' } });
  });

  // After the error handler: awaiting a plugin loads the scopes registered above, which take the
  // error handler in force at that moment.
  await registerApiDocs(app);
  registerMetrics(app, { db, token: options.metricsToken });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await db.$queryRaw`select 1`;
      const pending = await pendingMigrations(options.databaseUrl);
      if (pending.length > 0) return reply.code(503).send({ status: 'migrations pending', pending });
      return { status: 'ready' };
    } catch (error) {
      // The reason goes to the log, not to whoever asks: it can name hosts, users and paths.
      request.log.warn({ err: error }, 'readyz: database unavailable');
      return reply
        .code(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
        .send({ status: 'database unavailable' });
    }
  });

  await serveWebApp(app, options.webDistDir);
  return app;
}

/** TRUST_PROXY as Fastify takes it: a number of hops is a function of the hop (what Fastify does with one). */
function fastifyTrustProxy(trust: TrustProxy): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return Array.isArray(trust) ? trust.join(',') : trust;
}

/**
 * The OpenAPI document at /api/v1/openapi.json and Swagger UI at /api/docs. Swagger UI's scripts and
 * styles are served from the package's own files, so the page works under the CSP (`'self'` only).
 */
async function registerApiDocs(app: FastifyInstance) {
  await app.register(fastifySwagger, { mode: 'static', specification: { document: buildOpenApiDocument() as never } });
  app.get(`${REST_PREFIX}/openapi.json`, async () => app.swagger());
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    // No calls to the public validator service: the CSP forbids them, and the document is local anyway.
    uiConfig: { validatorUrl: null, deepLinking: true },
  });
}

/**
 * Files under assets/ carry a hash of their content in their name: a new build has new names, so they
 * may be kept for a year unchecked. Everything else (index.html) is checked on each visit, so a new
 * build is picked up at once.
 */
export function webCacheControl(webDistDir: string, filePath: string): string {
  const inDist = path.isAbsolute(filePath) ? path.relative(webDistDir, filePath) : filePath.replace(/^\/+/, '');
  return inDist.split(/[\\/]/)[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/** The built SPA, with index.html for any other GET so client-side routes survive a reload. */
async function serveWebApp(app: FastifyInstance, webDistDir: string) {
  const index = path.join(webDistDir, 'index.html');
  if (!existsSync(index)) {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain')
        .send('The web app is not built: run `npm start` (or `pnpm --filter @darkroom/web build`).'),
    );
    answerNotFound(app, { spa: false });
    return;
  }
  await app.register(fastifyStatic, {
    root: webDistDir,
    wildcard: false,
    index: 'index.html',
    // The build writes .br and .gz beside each script, stylesheet and page; the smallest the browser
    // accepts is sent, with no compressing per request.
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, filePath) => {
      reply.header('cache-control', webCacheControl(webDistDir, filePath));
    },
  });
  answerNotFound(app, { spa: true });
}

/**
 * A path no route serves answers 404 in the API's error shape, built web app or not (a client that
 * normalises `/jobs/./retry` to `/jobs/retry` reaches no route); with the web app, a browser's GET
 * outside the API gets index.html, so client-side routes survive a reload.
 */
function answerNotFound(app: FastifyInstance, { spa }: { spa: boolean }) {
  app.setNotFoundHandler((request, reply) => {
    const isApi = /^\/(trpc|images|api|v1)(\/|$)/.test(request.url);
    if (spa && request.method === 'GET' && !isApi && request.headers.accept?.includes('text/html')) {
      return reply.sendFile('index.html');
    }
    // The OpenAI-compatible routes answer as OpenAI does for an unknown URL, so its SDKs read the error.
    if (/^\/v1(\/|$)/.test(request.url)) {
      const message = `Invalid URL (${request.method} ${request.url.split('?')[0]})`;
      return reply.code(404).send({ error: { message, type: 'invalid_request_error', param: null, code: null } });
    }
    return reply.code(404).send({
      error: { code: 'NOT_FOUND', message: `no route for ${request.method} ${request.url}`, details: null },
    });
  });
}
