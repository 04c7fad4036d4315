/**
 * The API and the worker as an operator installs them: `pnpm deploy --prod` of each (production
 * dependencies only, workspace packages copied in as their builds, from the local store, offline), run
 * from the deploy folders with nothing of the repository around them. The API starts its own embedded
 * Postgres and migrates it, the worker joins over DATABASE_URL, and a job submitted over HTTP runs and
 * its image is served. A runtime import of a devDependency (sharp in the API, once) or a file a package
 * reads from outside itself (the migrations, once) fails here. docs/testing.md, "Production install".
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killProcessesMentioning, run, start, type Started } from './processes.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'darkroom-deploy-test-'));
// As root, embedded Postgres runs as the `postgres` user, which must reach its binaries in the deploy.
chmodSync(scratch, 0o755);
// Only what a process needs to run: no DATABASE_URL or other setting of whoever runs the tests.
const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? scratch };

let api: Started | undefined;
let worker: Started | undefined;
let apiUrl: string;
let apiKey: string;
const timings: Record<string, number> = {};

/** `pnpm`, as this run was started with it (`npx pnpm@...` on a machine without a global one). */
function pnpm(args: string[]): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(path.basename(execPath)))
    return /\.c?js$/.test(execPath) ? [process.execPath, [execPath, ...args]] : [execPath, args];
  return ['pnpm', args];
}

async function deploy(pkg: string, dir: string): Promise<void> {
  const begun = Date.now();
  // inject-workspace-packages (only for this command, not the workspace) is what pnpm 10's deploy asks
  // for: it copies each workspace dependency's files and installs from the lockfile, so --offline works.
  const [command, args] = pnpm([
    '--filter',
    pkg,
    '--config.inject-workspace-packages=true',
    'deploy',
    '--prod',
    '--offline',
    dir,
  ]);
  await run(command, args, { cwd: repoRoot, env: { ...baseEnv, CI: '1' }, timeoutMs: 120_000 });
  timings[`deploy ${pkg}`] = Date.now() - begun;
}

/** The embedded cluster's URL, as an operator reads it: the port from postmaster.pid, the password file. */
function embeddedDatabaseUrl(dataDir: string): string {
  const port = readFileSync(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[3]!.trim();
  const password = readFileSync(path.join(dataDir, 'postgres/darkroom.password'), 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/darkroom`;
}

async function trpc<T>(procedure: string, input: unknown, headers: Record<string, string> = {}): Promise<T> {
  const get = procedure.endsWith('.get');
  const response = get
    ? await fetch(`${apiUrl}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
    : await fetch(`${apiUrl}/trpc/${procedure}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(input),
      });
  const body = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!body.result) throw new Error(`${procedure}: ${response.status} ${JSON.stringify(body.error)}`);
  return body.result.data;
}

beforeAll(async () => {
  const begun = Date.now();
  await Promise.all([
    deploy('@darkroom/api', path.join(scratch, 'api')),
    deploy('@darkroom/worker', path.join(scratch, 'worker')),
  ]);
  const dataDir = path.join(scratch, 'data');
  const storageDir = path.join(scratch, 'images');
  const startedAt = Date.now();
  api = start(process.execPath, ['dist/main.js'], {
    cwd: path.join(scratch, 'api'),
    env: { ...baseEnv, DARKROOM_DATA_DIR: dataDir, STORAGE_DIR: storageDir, PORT: '0', LOG_LEVEL: 'warn' },
  });
  apiUrl = (await api.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
  worker = start(process.execPath, ['dist/main.js'], {
    cwd: path.join(scratch, 'worker'),
    env: {
      ...baseEnv,
      DATABASE_URL: embeddedDatabaseUrl(dataDir),
      STORAGE_DIR: storageDir,
      WORKER_ID: 'deployed',
      POLL_INTERVAL_MS: '200',
      LOG_LEVEL: 'warn',
    },
  });
  await worker.waitFor(/darkroom worker deployed running/, 60_000);
  timings['start API (embedded Postgres, migrations) and worker'] = Date.now() - startedAt;
  timings['deploy and start'] = Date.now() - begun;
});

afterAll(async () => {
  // Whatever happened above: nothing of this test outlives it (Postgres is the API's detached child).
  const begun = Date.now();
  await Promise.allSettled([worker?.stop(15_000), api?.stop(30_000)]);
  killProcessesMentioning(scratch);
  // Two deploys are some 40,000 files: removed side by side, it takes half as long.
  await Promise.all(
    ['api', 'worker', 'data'].map((dir) => rm(path.join(scratch, dir), { recursive: true, force: true })),
  );
  await rm(scratch, { recursive: true, force: true });
  timings['clean up'] = Date.now() - begun;
  console.log(`production install (ms): ${JSON.stringify(timings)}`);
});

describe('a production-only install of the API and the worker', () => {
  it('holds production dependencies only, and the API none of the worker or the engine adapters', () => {
    for (const app of ['api', 'worker']) {
      const installed = readdirSync(path.join(scratch, app, 'node_modules/.pnpm')).join('\n');
      // Test-only devDependencies of the apps and packages (prisma's CLI does come along, as the optional
      // peer of @prisma/client that the workspace resolved: bulk, not a failure; docs/testing.md).
      for (const devOnly of ['vitest@', 'fast-check@4', 's3rver@', 'openai@', 'standardwebhooks@', 'playwright-core@'])
        expect(installed, `${app} has ${devOnly}`).not.toMatch(new RegExp(`^${devOnly}`, 'm'));
    }
    const apiPackages = readdirSync(path.join(scratch, 'api/node_modules/.pnpm')).join('\n');
    expect(apiPackages).not.toContain('@darkroom+worker');
    expect(apiPackages).not.toContain('@darkroom+providers');
  });

  it('serves /healthz, and /readyz once the embedded database is migrated', async () => {
    expect(await (await fetch(`${apiUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${apiUrl}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(ready.status).toBe(200);
  });

  it('accepts a job over HTTP, the worker completes it, and its image and thumbnail are served', async () => {
    const begun = Date.now();
    const signUp = await fetch(`${apiUrl}/trpc/auth.signUp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'operator@example.com', password: 'a production password' }),
    });
    expect(signUp.status, await signUp.clone().text()).toBe(200);
    const cookie = signUp.headers.get('set-cookie')!.split(';')[0]!;
    apiKey = (await trpc<{ key: string }>('apiKeys.create', { name: 'deploy test' }, { cookie })).key;
    const auth = { authorization: `Bearer ${apiKey}` };

    const created = await trpc<{ id: string }>(
      'jobs.create',
      { prompt: 'a lighthouse at dusk', numImages: 1, provider: 'local' },
      auth,
    );
    type View = { status: string; images: { url: string | null; thumbnailUrl: string | null }[] };
    let view: View;
    const deadline = Date.now() + 60_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      view = await trpc<View>('jobs.get', { id: created.id }, auth);
      if (Date.now() > deadline) throw new Error(`job still ${view.status} after 60 s:\n${worker!.output()}`);
    } while (view.status === 'queued' || view.status === 'running');
    expect(view.status, worker!.output()).toBe('succeeded');

    const image = await fetch(new URL(view.images[0]!.url!, apiUrl), { headers: auth });
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer()).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const thumbnail = await fetch(new URL(view.images[0]!.thumbnailUrl!, apiUrl), { headers: auth });
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    timings['job over HTTP'] = Date.now() - begun;
  });

  it('both stop cleanly on SIGTERM, the API stopping its Postgres', async () => {
    expect(await worker!.stop(15_000)).toBe(0);
    expect(await api!.stop(30_000)).toBe(0);
    expect(killProcessesMentioning(scratch)).toEqual([]);
  });
});
