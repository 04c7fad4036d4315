/**
 * Signed image links behind a load balancer: two API processes (the built `main.js`, as an operator
 * runs it) on one database and bucket, neither given IMAGE_URL_SECRET, honour each other's links, and
 * each warns at start that the variable is unset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../test/harness.js';

const MAIN = path.resolve(import.meta.dirname, '../dist/main.js');

interface ApiProcess {
  url: string;
  output: () => string;
  child: ChildProcess;
}

let h: Harness;
let imageId: string;
const processes: ApiProcess[] = [];
let sharing: ApiProcess | undefined;

/** Starts `node dist/main.js` with `env` and waits for its "listening on" line. */
async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: h.url,
      STORAGE_DIR: h.storageDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (data) => (output += String(data)));
  child.stderr!.on('data', (data) => (output += String(data)));
  const started = { url: '', output: () => output, child };
  // Stopped by afterAll even if it never says it is listening.
  processes.push(started);
  // Generous: on a loaded machine, loading the API's modules alone can take half a minute.
  started.url = await eventually(async () => /listening on (http:\/\/\S+)/.exec(output)?.[1], 80_000).catch(() => {
    throw new Error(`the API process did not start:\n${output}`);
  });
  return started;
}

beforeAll(async () => {
  h = await makeHarness();
  await h.startWorker();
  const created = await h.caller.jobs.create({ prompt: 'a postcard for two replicas' });
  const job = await eventually(async () => {
    const view = await h.caller.jobs.get({ id: created.id });
    return view.status === 'succeeded' ? view : null;
  });
  imageId = job.images[0]!.id;
}, 60_000);
afterAll(async () => {
  await Promise.all(
    processes.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve(null);
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
  await h.close();
});

async function signOn(api: ApiProcess): Promise<string> {
  const response = await fetch(`${api.url}/images/${imageId}/signed-url?ttlSeconds=600`, {
    method: 'POST',
    headers: h.headers,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { url: string }).url;
}

describe('IMAGE_URL_SECRET unset on several replicas', () => {
  it('lets a link signed by one API process open the image on another, and each warns naming the variable', async () => {
    const [a, b] = await Promise.all([startApiProcess({}), startApiProcess({})]);
    sharing = a;

    const pairs: [ApiProcess, ApiProcess][] = [
      [a, b],
      [b, a],
    ];
    for (const [signer, checker] of pairs) {
      const link = await signOn(signer);
      const opened = await fetch(`${checker.url}${link}`);
      expect(opened.status).toBe(200);
      expect(opened.headers.get('content-type')).toMatch(/^image\//);
    }
    for (const api of [a, b]) expect(api.output()).toMatch(/IMAGE_URL_SECRET is unset/);
    // One key for the database, made once however many replicas start.
    expect(await h.db.instanceSecret.count({ where: { name: 'image_url_secret' } })).toBe(1);
  }, 180_000);

  it('still refuses a link signed under another key (a replica given its own IMAGE_URL_SECRET)', async () => {
    const own = await startApiProcess({ IMAGE_URL_SECRET: 'this-replica-has-a-secret-of-its-own-32+' });
    const link = await signOn(own);
    expect((await fetch(`${sharing!.url}${link}`)).status).toBe(403);
    expect(own.output()).not.toMatch(/IMAGE_URL_SECRET is unset/);
  }, 120_000);
});
