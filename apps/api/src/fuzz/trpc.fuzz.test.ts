/**
 * Random and malformed calls to every tRPC procedure over HTTP, unauthenticated, as a user and as an
 * admin: never a 5xx, always tRPC's JSON error shape, and a refused call writes nothing.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../router.js';
import { makeHarness, TEST_PASSWORD, type Harness } from '../../test/harness.js';
import { anyMethod, anyString, contentType, fuzzParameters, nearly, rawBody } from './arbitraries.js';
import { expectWellFormed, rowCounts, send, type Sent } from './check.js';

let h: Harness;
let app: FastifyInstance;
/** A job of the owner's, so ids sometimes name something real. */
let jobId: string;
beforeAll(async () => {
  h = await makeHarness({ server: { openAiWaitSeconds: 0.05 } });
  app = await h.server();
  jobId = (await h.caller.jobs.create({ prompt: 'a lighthouse', provider: 'mock' })).id;
});
afterAll(() => h.close());

type ProcedureType = 'query' | 'mutation' | 'subscription';
/** Every procedure of the router, by dotted path (at run time `_def.procedures` is flat, whatever its type says). */
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: ProcedureType } }>,
).map(([name, procedure]) => ({
  name,
  type: procedure._def.type,
}));

/** A valid input for each procedure that takes one; the fuzzer spoils them. */
function samples(): Record<string, Record<string, unknown>> {
  const job = {
    prompt: 'a friendly dragon',
    numImages: 1,
    provider: 'mock',
    metadata: { via: 'fuzz' },
    idempotencyKey: 'fuzz',
    seed: 7,
    style: 'ink',
  };
  return {
    'auth.signUp': { email: 'fuzz@example.com', password: TEST_PASSWORD },
    'auth.logIn': { email: 'owner@darkroom.test', password: 'not the password' },
    'apiKeys.create': { name: 'fuzz' },
    'apiKeys.revoke': { id: '00000000-0000-4000-8000-000000000000' },
    'credits.get': { limit: 5 },
    'credits.grant': { email: 'owner@darkroom.test', amount: 1 },
    'jobs.create': job,
    'jobs.createBatch': { requests: [job, { prompt: 'a second one' }] },
    'jobs.quote': job,
    'jobs.batch': { batchId: '00000000-0000-4000-8000-000000000000' },
    'jobs.retry': { id: jobId },
    'jobs.get': { id: jobId },
    'jobs.list': { limit: 5, search: 'dragon', status: 'queued', createdFrom: '2026-01-01T00:00:00Z', projectId: 'p' },
    'jobs.events': { id: jobId },
    'jobs.webhookDeliveries': { id: jobId },
    'jobs.onUpdate': { id: jobId, lastEventId: '1' },
    'jobs.feed': { lastEventId: '1' },
    'jobs.onEvent': { id: jobId, lastEventId: '1' },
    'jobs.cancel': { id: jobId },
    'references.delete': { id: '00000000-0000-4000-8000-000000000000' },
    'gallery.list': { limit: 5, projectId: 'p', favourites: true, cursor: '00000000-0000-4000-8000-000000000000' },
    'gallery.get': { id: '00000000-0000-4000-8000-000000000000' },
    'gallery.favourite': { id: '00000000-0000-4000-8000-000000000000', favourite: true },
    'gallery.remove': { id: '00000000-0000-4000-8000-000000000000' },
    'gallery.removeMany': { ids: ['00000000-0000-4000-8000-000000000000'] },
    'gallery.moveToProject': { ids: ['00000000-0000-4000-8000-000000000000'], projectId: 'p' },
    'gallery.renameProject': { from: 'p', to: 'q' },
    'credits.ledger': { limit: 5, cursor: '12' },
  };
}

type Who = 'nobody' | 'user' | 'admin' | 'bad key' | 'garbage';
const who = fc.constantFrom<Who>('nobody', 'user', 'user', 'admin', 'bad key', 'garbage');
function headersOf(someone: Who): Record<string, string> {
  switch (someone) {
    case 'nobody':
      return {};
    case 'user':
      return h.headers;
    case 'admin':
      return h.admin.headers;
    case 'bad key':
      return { authorization: 'Bearer dk_00000000_' + 'A'.repeat(43) };
    case 'garbage':
      return { authorization: 'Basic \u00ff\u00fe', cookie: 'darkroom_session=%zz; other=1' };
  }
}

/** The input of one call: a JSON value, or raw text that may not be JSON at all. */
const inputFor = (name: string) =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: nearly(samples()[name] ?? {}).map((value) => ({ text: JSON.stringify(value) ?? 'null', raw: false })),
    },
    { weight: 1, arbitrary: rawBody.map((text) => ({ text, raw: true })) },
    { weight: 1, arbitrary: fc.constant({ text: undefined, raw: false }) },
  );

interface Call {
  who: Who;
  method: string;
  path: string;
  batch: boolean;
  inputs: { text: string | undefined; raw: boolean }[];
  contentType: string | undefined;
  query: string;
}

const procedureName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...procedures.map((p) => p.name)) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      anyString,
      fc.constantFrom('', 'jobs', 'jobs.', '.get', 'jobs.get.x', '__proto__.toString', 'constructor', 'jobs.__proto__'),
    ),
  },
);
const methodFor = (name: string) => {
  const type = procedures.find((p) => p.name === name)?.type;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(type === 'mutation' ? 'POST' : 'GET') },
    { weight: 1, arbitrary: anyMethod },
  );
};

const single: fc.Arbitrary<Call> = procedureName.chain((name) =>
  fc.record({
    who,
    method: methodFor(name),
    path: fc.constant(name),
    batch: fc.constant(false),
    inputs: inputFor(name).map((input) => [input]),
    contentType,
    query: fc.constantFrom('', '', '', '&batch=0', '&input=1&input=2', '&__proto__[x]=1'),
  }),
);

const batched: fc.Arbitrary<Call> = fc.array(procedureName, { minLength: 1, maxLength: 4 }).chain((names) =>
  fc.record({
    who,
    method: methodFor(names[0]!),
    path: fc.constant(names.join(',')),
    batch: fc.constant(true),
    inputs: fc.tuple(...names.map(inputFor)),
    contentType,
    query: fc.constantFrom('', '', '&batch=2', '&batch=true'),
  }),
);

/** Lone surrogates cannot be percent-encoded; they travel as U+FFFD, as a browser would send them. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const encode = (text: string) => encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'));

/** The request a call becomes: `?input=` for GET, the body otherwise; batches key inputs by position. */
function request(call: Call) {
  let input: string | undefined;
  if (call.batch) {
    // A raw input spoils the whole batch's JSON, which is the point of raw inputs.
    input = `{${call.inputs.map((one, i) => `"${i}":${one.text ?? 'null'}`).join(',')}}`;
    if (call.inputs.some((one) => one.raw) && call.inputs.length === 1) input = call.inputs[0]!.text;
  } else {
    input = call.inputs[0]!.text;
  }
  const path = `/trpc/${encode(call.path).replace(/%2C/g, ',')}`;
  const params = `${call.batch ? 'batch=1' : ''}${call.query}`;
  const withBody = call.method !== 'GET' && call.method !== 'HEAD';
  const query = withBody || input === undefined ? params : `input=${encode(input)}&${params}`;
  const headers: Record<string, string> = { ...headersOf(call.who) };
  if (withBody && call.contentType) headers['content-type'] = call.contentType;
  return {
    method: call.method,
    url: query ? `${path}?${query}` : path,
    headers,
    ...(withBody && input !== undefined ? { payload: input } : {}),
  };
}

async function check(call: Call) {
  const options = request(call);
  const sent: Sent = {
    method: options.method,
    url: options.url,
    describe: `as ${call.who}; body ${String(options.payload ?? '').slice(0, 300)}`,
  };
  const before = await rowCounts(h.db);
  const response = await send(app, options as Parameters<typeof send>[1]);
  expectWellFormed(sent, response, 'trpc');
  const refused = response.statusCode >= 400 && !Array.isArray(JSON.parse(response.body || 'null'));
  if (refused)
    expect(await rowCounts(h.db), `a refused call wrote rows: ${sent.method} ${sent.url.slice(0, 200)}`).toEqual(
      before,
    );
}

describe('tRPC fuzz', () => {
  it(`enumerates every procedure (${procedures.length})`, () => {
    expect(procedures.length).toBeGreaterThanOrEqual(30);
    expect(procedures.map((p) => p.name)).toContain('jobs.create');
  });

  it('single calls to every procedure: no 5xx, JSON errors, nothing half-written', async () => {
    // Every procedure, every kind of caller, at least once; then random ones.
    for (const { name, type } of procedures) {
      for (const someone of ['nobody', 'user', 'admin'] as const) {
        await check({
          who: someone,
          method: type === 'mutation' ? 'POST' : 'GET',
          path: name,
          batch: false,
          inputs: [{ text: HOSTILE_INPUT, raw: true }],
          contentType: 'application/json',
          query: '',
        });
      }
    }
    await fc.assert(fc.asyncProperty(single, check), fuzzParameters(4000));
  }, 600_000);

  it('batched calls (?batch=1), mixed procedures and methods: no 5xx, JSON errors', async () => {
    await fc.assert(fc.asyncProperty(batched, check), fuzzParameters(1000));
  }, 600_000);

  it('still answers after the fuzzing', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
  });
});

/** An input no procedure accepts, sent once to each as each kind of caller. */
const HOSTILE_INPUT =
  '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"role":"admin"}},"id":"\\u0000","limit":-1}';
