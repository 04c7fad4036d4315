/**
 * Random and malformed requests to every HTTP route outside tRPC (REST under /api/v1, the
 * OpenAI-compatible /v1, images, references, health, metrics, docs), enumerated from Fastify's own
 * route table: random path parameters, query strings, bodies, content types and headers, unauthenticated,
 * as a user and as an admin. Never a 5xx, JSON errors in each surface's documented shape, and a refused
 * request writes nothing.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { anyJson, anyMethod, anyString, contentType, fuzzParameters, nearly, rawBody } from './arbitraries.js';
import { expectWellFormed, isAllowedTimeout, rowCounts, send, type ErrorShape, type Sent } from './check.js';

let h: Harness;
let app: FastifyInstance;
let routes: Route[];
let jobId: string;
beforeAll(async () => {
  h = await makeHarness({ server: { openAiWaitSeconds: 0.05 } });
  app = await h.server();
  routes = routeTable(app).filter((route) => !route.path.startsWith('/trpc/'));
  jobId = (await h.caller.jobs.create({ prompt: 'a lighthouse', provider: 'mock' })).id;
});
afterAll(() => h.close());

interface Route {
  path: string;
  methods: string[];
}

/**
 * Every route Fastify knows, read from `printRoutes({ commonPrefix: false })`: each line is a tree
 * node whose text continues its parent's path, with its methods in parentheses.
 */
function routeTable(server: FastifyInstance): Route[] {
  const found: Route[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of server.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length;
    while (stack.length > 0 && stack.at(-1)!.depth >= depth) stack.pop();
    const path = (stack.at(-1)?.path ?? '') + match[2]!;
    stack.push({ depth, path });
    found.push({ path, methods: match[3]!.split(', ') });
  }
  return found;
}

/** A 1x1 PNG, so some reference uploads are real images. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

/** Valid bodies the fuzzer spoils, by route. */
const BODIES: Record<string, Record<string, unknown>> = {
  '/api/v1/generations': {
    prompt: 'a friendly dragon',
    numImages: 2,
    provider: 'mock',
    metadata: { via: 'fuzz' },
    webhookUrl: 'https://example.com/hook',
  },
  '/v1/images/generations': {
    prompt: 'a friendly dragon',
    model: 'mock',
    n: 1,
    size: '1024x1024',
    response_format: 'url',
    user: 'fuzz',
  },
};
/** Query parameters each route reads, plus ones nobody reads. */
const QUERY_KEYS = [
  'limit',
  'cursor',
  'status',
  'preset',
  'search',
  'createdFrom',
  'createdTo',
  'batchId',
  'projectId',
  'ttlSeconds',
  'expires',
  'signature',
  'tags',
  'description',
  'input',
  '__proto__[role]',
  'constructor[prototype][x]',
];

type Who = 'nobody' | 'user' | 'admin' | 'bad key';
const who = fc.constantFrom<Who>('nobody', 'user', 'user', 'admin', 'bad key');
function authHeaders(someone: Who): Record<string, string> {
  if (someone === 'user') return h.headers;
  if (someone === 'admin') return h.admin.headers;
  if (someone === 'bad key') return { authorization: 'Bearer not-a-key' };
  return {};
}

const pathValue = fc.oneof(
  { weight: 3, arbitrary: fc.constant('JOB') },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 3, arbitrary: anyString },
);

const queryString = fc
  .array(
    fc.tuple(
      fc.constantFrom(...QUERY_KEYS),
      fc.oneof(
        anyString,
        fc.integer({ min: -5, max: 1_000_000_000 }).map(String),
        fc.constantFrom('queued', 'cover', '2026-01-01T00:00:00Z', '1e400', ''),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encode(value)}`).join('&'));

/** Lone surrogates cannot be percent-encoded; they travel as U+FFFD, as a browser would send them. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const encode = (text: string) => encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'));

const extraHeaders = fc.record(
  {
    'idempotency-key': anyString.map((text) => text.replace(/[^\x20-\x7e]/g, '?')),
    'if-none-match': fc.constantFrom('*', '"x"', 'W/"y"'),
    origin: fc.constantFrom('https://elsewhere.example', 'null', 'http://localhost:80'),
    accept: fc.constantFrom('text/html', 'application/json', '*/*', 'image/webp'),
    cookie: fc.constantFrom('darkroom_session=stale', 'darkroom_session=', 'a=b; darkroom_session=%zz'),
  },
  { requiredKeys: [] },
);

interface Request {
  route: Route;
  who: Who;
  method: string;
  params: string[];
  query: string;
  body: { kind: 'json'; value: unknown } | { kind: 'raw'; text: string } | { kind: 'png' } | { kind: 'none' };
  contentType: string | undefined;
  headers: Record<string, string>;
}

const request = (route: Route): fc.Arbitrary<Request> =>
  fc.record({
    route: fc.constant(route),
    who,
    method: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...route.methods.filter((m) => m !== 'QUERY')) },
      { weight: 1, arbitrary: anyMethod },
    ),
    params: fc.array(pathValue, { minLength: 3, maxLength: 3 }),
    query: fc.oneof(fc.constant(''), queryString),
    body: fc.oneof(
      { weight: 4, arbitrary: nearly(BODIES[route.path] ?? {}).map((value) => ({ kind: 'json' as const, value })) },
      { weight: 2, arbitrary: rawBody.map((text) => ({ kind: 'raw' as const, text })) },
      { weight: route.path === '/api/v1/references' ? 2 : 0, arbitrary: fc.constant({ kind: 'png' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    ),
    contentType: fc.oneof(
      { weight: 3, arbitrary: contentType },
      { weight: 1, arbitrary: fc.constantFrom('image/png', 'image/webp', 'image/x-evil+xml') },
    ),
    headers: extraHeaders,
  });

/** Which error shape a route documents: REST's `{ error: { code, message, details } }`, OpenAI's, or none in particular. */
function shapeOf(route: Route, method: string): ErrorShape {
  if (!route.methods.includes(method)) return 'any';
  if (route.path.startsWith('/v1/')) return 'openai';
  if (route.path.startsWith('/api/v1/') && route.path !== '/api/v1/references' && route.path !== '/api/v1/openapi.json')
    return 'rest';
  return 'any';
}

async function check(call: Request) {
  let index = 0;
  const path = call.route.path.replace(/:[A-Za-z]+|\*/g, () => {
    const value = call.params[index++]!;
    return value === 'JOB' ? jobId : encode(value);
  });
  const url = call.query ? `${path}?${call.query}` : path;
  const hasBody = call.method !== 'GET' && call.method !== 'HEAD' && call.body.kind !== 'none';
  const headers: Record<string, string> = { ...call.headers, ...authHeaders(call.who) };
  let payload: string | Buffer | undefined;
  if (hasBody) {
    payload =
      call.body.kind === 'json'
        ? (JSON.stringify(call.body.value) ?? 'null')
        : call.body.kind === 'raw'
          ? call.body.text
          : TINY_PNG;
    if (call.contentType) headers['content-type'] = call.contentType;
  }
  const sent: Sent = {
    method: call.method,
    url,
    describe: `as ${call.who}; headers ${JSON.stringify(call.headers)}; body ${String(payload ?? '').slice(0, 300)}`,
  };
  const before = await rowCounts(h.db);
  const response = await send(app, {
    method: call.method as 'GET',
    url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  });
  expectWellFormed(sent, response, shapeOf(call.route, call.method));
  if (response.statusCode >= 400 && !isAllowedTimeout(sent, response)) {
    expect(
      await rowCounts(h.db),
      `a refused request wrote rows: ${sent.method} ${url.slice(0, 200)} -> ${response.statusCode}`,
    ).toEqual(before);
  }
}

describe('HTTP routes fuzz', () => {
  it('enumerates every route from the route table, including every path of the OpenAPI document', async () => {
    const document = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    const known = new Set(routes.map((route) => route.path.replace(/:([A-Za-z]+)/g, '{$1}')));
    for (const path of Object.keys(document.paths)) expect(known, path).toContain(`/api/v1${path}`);
    expect(routes.map((route) => route.path)).toEqual(
      expect.arrayContaining(['/images/:id', '/v1/images/generations', '/api/v1/references', '/healthz']),
    );
  });

  it('every route, every kind of caller: no 5xx, JSON errors in the documented shape, nothing half-written', async () => {
    const anyRoute = fc.constantFrom(...routes).chain(request);
    await fc.assert(fc.asyncProperty(anyRoute, check), fuzzParameters(4000));
  }, 600_000);

  it('unknown paths and methods under every prefix: JSON 404s', async () => {
    const unknown = fc.record({
      method: anyMethod,
      prefix: fc.constantFrom('/api/v1/', '/v1/', '/images/', '/references/', '/api/', '/'),
      rest: anyString,
      body: anyJson,
    });
    await fc.assert(
      fc.asyncProperty(unknown, async ({ method, prefix, rest, body }) => {
        const url = `${prefix}${encode(rest)}/x`;
        const withBody = method !== 'GET' && method !== 'HEAD';
        const response = await send(app, {
          method: method as 'GET',
          url,
          headers: { ...h.headers, 'content-type': 'application/json' },
          ...(withBody ? { payload: JSON.stringify(body) ?? 'null' } : {}),
        });
        expectWellFormed({ method, url, describe: '' }, response, 'any');
      }),
      fuzzParameters(1000),
    );
  }, 600_000);

  it('still answers after the fuzzing', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
