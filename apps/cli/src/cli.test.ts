import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, startApi, type RunningApi } from '@darkroom/api';
import { createDarkroomClient } from '@darkroom/client';
import type { JobListView, JobView } from '@darkroom/core';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built `darkroom` binary, run as a child process against a real API and worker on a fresh database.
const BIN = path.resolve(import.meta.dirname, '../dist/main.js');
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
let database: TestDatabase;
let api: RunningApi;
let worker: RunningWorker;
let apiKey: string;
let workerEnv: Record<string, string>;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'darkroom-cli-test-'));

beforeAll(async () => {
  database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    STORAGE_DIR: path.join(scratch, 'images'),
    PORT: '0',
    LOG_LEVEL: 'silent',
    POLL_INTERVAL_MS: '200',
  };
  // Every image of the mock provider is refused, so a job on it fails; local jobs succeed.
  workerEnv = { ...env, MOCK_FAILURES: 'content_filtered:1' };
  worker = await startWorker(loadWorkerConfig(workerEnv));
  api = await startApi(loadApiConfig(env));
  apiKey = await signUpForKey('cli@example.com');
});
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await database?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

async function signUpForKey(email: string): Promise<string> {
  const signUp = await fetch(`${api.url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'a long enough password' }),
  });
  const cookie = signUp.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${api.url}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'cli tests' }),
  });
  return ((await created.json()) as { result: { data: { key: string } } }).result.data.key;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `darkroom ...args` with DARKROOM_URL / DARKROOM_API_KEY set (unless `env` says otherwise). */
function darkroom(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DARKROOM_URL: api.url,
    DARKROOM_API_KEY: apiKey,
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: childEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const jsonOf = <T>(run: Run) => JSON.parse(run.stdout) as T;

async function finished(id: string): Promise<JobView> {
  return createDarkroomClient({ url: api.url, apiKey }).wait(id, {
    live: false,
    backoff: { initialMs: 50, maxMs: 200 },
  });
}

describe('darkroom generate', () => {
  it('generates -n images with a preset, shows progress on stderr as plain lines, and saves the PNGs to -o', async () => {
    const out = path.join(scratch, 'out');

    const run = await darkroom(['generate', 'a lantern by the sea', '-n', '2', '--preset', 'cover', '-o', out]);

    expect(run.code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    for (const file of files) expect(readFileSync(path.join(out, file)).subarray(0, 4)).toEqual(PNG_MAGIC);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^0% queued/);
    expect(lines.at(-1)).toMatch(/^100% succeeded, 2\/2 images$/);
    // Not a terminal: no carriage returns or escape codes.
    expect([run.stderr.includes('\r'), run.stderr.includes('\u001b')]).toEqual([false, false]);
    expect(run.stdout).toContain(path.join(out, files[0]!));
  });

  it('--json prints the finished job and the saved files', async () => {
    const out = path.join(scratch, 'json-out');
    const run = await darkroom(['generate', 'a small cabin', '--quality', 'high', '--json', '-q', '-o', out]);

    expect(run.code).toBe(0);
    const { job, files } = jsonOf<{ job: JobView; files: string[] }>(run);
    expect(job).toMatchObject({ status: 'succeeded', preset: 'illustration', numImages: 1, quality: 'high' });
    expect(files.map((file) => existsSync(file))).toEqual([true]);
    expect(run.stderr).toBe('');
  });

  it.each([
    ['webp', 'webp', (bytes: Buffer) => bytes.toString('latin1', 8, 12) === 'WEBP'],
    ['jpeg', 'jpg', (bytes: Buffer) => bytes[0] === 0xff && bytes[1] === 0xd8],
  ] as const)('--format %s saves each image with the extension of its real format', async (format, extension, isIt) => {
    const out = path.join(scratch, `format-${format}`);
    const run = await darkroom(['generate', 'a tin robot', '--format', format, '-q', '-o', out]);

    expect(run.code).toBe(0);
    const files = readdirSync(out);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`-0\\.${extension}$`));
    expect(isIt(readFileSync(path.join(out, files[0]!)))).toBe(true);
  });

  it('exits 1 when the job fails, naming the error', async () => {
    const run = await darkroom(['generate', 'refused every time', '--provider', 'mock']);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed/);
    expect(run.stdout).toContain('content_filtered');
  });

  it('exits 2 for input the API refuses and for bad flags, before anything is submitted', async () => {
    const tooMany = await darkroom(['generate', 'too many', '-n', '99']);
    const unknownFlag = await darkroom(['generate', 'x', '--colour', 'red']);
    const badPreset = await darkroom(['generate', 'x', '--preset', 'poster']);
    const badQuality = await darkroom(['generate', 'x', '--quality', 'ultra']);
    const badFormat = await darkroom(['generate', 'x', '--format', 'gif']);
    const noPrompt = await darkroom(['generate']);
    const unknownCommand = await darkroom(['paint']);

    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/numImages|8/);
    for (const run of [unknownFlag, badPreset, badQuality, badFormat, noPrompt, unknownCommand])
      expect(run.code).toBe(2);
    expect(badPreset.stderr).toContain('--preset must be one of');
    expect(badFormat.stderr).toContain('--format must be one of');
    expect(badQuality.stderr).toContain('--quality must be one of');
  });
});

describe('darkroom status, list, cancel, retry', () => {
  it('status shows a job (text and --json); an unknown id exits 4; a missing id exits 2', async () => {
    const submitted = jsonOf<JobView>(await darkroom(['generate', 'a quiet harbour', '--no-wait', '--json']));
    await finished(submitted.id);

    const text = await darkroom(['status', submitted.id]);
    const json = await darkroom(['status', submitted.id, '--json']);
    const unknown = await darkroom(['status', '00000000-0000-4000-8000-000000000000']);
    const missing = await darkroom(['status']);

    expect([text.code, text.stdout]).toEqual([0, expect.stringMatching(new RegExp(`^${submitted.id} succeeded 100%`))]);
    expect(jsonOf<JobView>(json)).toMatchObject({ id: submitted.id, status: 'succeeded' });
    expect(unknown.code).toBe(4);
    expect(missing.code).toBe(2);
  });

  it('list pages with --limit and --cursor', async () => {
    const first = jsonOf<JobListView>(await darkroom(['list', '--limit', '1', '--json']));
    const second = jsonOf<JobListView>(
      await darkroom(['list', '--limit', '1', '--cursor', first.nextCursor!, '--json']),
    );

    expect(first.items).toHaveLength(1);
    expect(second.items).toHaveLength(1);
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    expect((await darkroom(['list', '--status', 'sleeping'])).code).toBe(2);
  });

  it('cancel stops a job; cancelling it again exits 6; retry queues it again', async () => {
    // No worker while we cancel, so the job is certainly still queued (a local job can finish in the
    // time a CLI process takes to start).
    await worker.stop();
    const submitted = jsonOf<JobView>(await darkroom(['generate', 'eight pictures', '-n', '8', '--no-wait', '--json']));

    const cancel = await darkroom(['cancel', submitted.id]);
    const again = await darkroom(['cancel', submitted.id]);
    worker = await startWorker(loadWorkerConfig(workerEnv));
    const retry = await darkroom(['retry', submitted.id, '--json', '-q']);

    expect([cancel.code, cancel.stdout]).toEqual([0, expect.stringMatching(/cancel/)]);
    expect(again.code).toBe(6);
    expect(retry.code).toBe(0);
    expect(jsonOf<{ job: JobView }>(retry).job.status).toBe('succeeded');
    expect((await darkroom(['retry', submitted.id])).code).toBe(6);
  });
});

describe('darkroom keys and credentials', () => {
  it('keys create, list and revoke; a revoked key exits 3, as does no key at all', async () => {
    const created = jsonOf<{ key: string; apiKey: { id: string } }>(await darkroom(['keys', 'create', 'ci', '--json']));
    const listed = jsonOf<{ id: string; name: string }[]>(await darkroom(['keys', 'list', '--json']));
    const revoke = await darkroom(['keys', 'revoke', created.apiKey.id]);
    const withRevoked = await darkroom(['list'], { DARKROOM_API_KEY: created.key });
    const withNone = await darkroom(['list'], { DARKROOM_API_KEY: undefined });
    const byFlag = await darkroom(['list', '--api-key', apiKey, '--json'], { DARKROOM_API_KEY: undefined });

    expect(listed.map((key) => key.name)).toContain('ci');
    expect(revoke.code).toBe(0);
    expect(withRevoked.code).toBe(3);
    expect(withNone.code).toBe(3);
    expect(withNone.stderr).toContain('DARKROOM_API_KEY');
    expect(byFlag.code).toBe(0);
    expect((await darkroom(['keys', 'rotate'])).code).toBe(2);
  });

  it('exits 5 when out of credits, and 7 when Darkroom cannot be reached', async () => {
    const poorKey = await signUpForKey('poor@example.com');
    const poor = await database.db.user.findFirstOrThrow({ where: { email: 'poor@example.com' } });
    await database.db.user.update({ where: { id: poor.id }, data: { creditBalance: 0 } });

    const broke = await darkroom(['generate', 'on credit', '--json'], { DARKROOM_API_KEY: poorKey });
    const unreachable = await darkroom(['list', '--json', '--url', 'http://127.0.0.1:9']);

    expect(broke.code).toBe(5);
    expect(jsonOf<{ error: { code: string } }>(broke).error.code).toBe('INSUFFICIENT_CREDITS');
    expect(unreachable.code).toBe(7);
    expect(jsonOf<{ error: { code: string } }>(unreachable).error.code).toBe('UNREACHABLE');
    expect(unreachable.stderr).toContain('cannot reach Darkroom');
  });
});

describe('darkroom collections', () => {
  it('creates, fills, lists, empties, renames and deletes a collection; another account gets not found (exit 4)', async () => {
    const job = await finished(
      jsonOf<JobView>(await darkroom(['generate', 'a board', '-n', '2', '--no-wait', '--json'])).id,
    );
    const images = job.images.map((image) => image.id);
    const board = jsonOf<{ id: string }>(await darkroom(['collections', 'create', 'Harbour', '--json']));
    const added = await darkroom(['collections', 'add', board.id, ...images]);
    const removed = await darkroom(['collections', 'remove', board.id, images[0]!]);
    const renamed = await darkroom(['collections', 'rename', board.id, 'Harbour, kept']);
    const listed = jsonOf<{ name: string; images: number }[]>(await darkroom(['collections', 'list', '--json']));
    const strangerKey = await signUpForKey('stranger@example.com');
    const theirs = await darkroom(['collections', 'delete', board.id], { DARKROOM_API_KEY: strangerKey });
    const tooLong = await darkroom(['collections', 'create', 'x'.repeat(81)]);
    const deleted = await darkroom(['collections', 'delete', board.id]);

    expect(added.stdout.trim()).toBe(`${board.id}  Harbour  2 images`);
    expect(removed.stdout.trim()).toBe(`${board.id}  Harbour  1 image`);
    expect(renamed.stdout.trim()).toBe(`${board.id}  Harbour, kept  1 image`);
    expect(listed.map((item) => [item.name, item.images])).toEqual([['Harbour, kept', 1]]);
    expect(theirs.code).toBe(4);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('name');
    expect(deleted.code).toBe(0);
    expect((await darkroom(['collections', 'list'])).stdout.trim()).toBe('no collections');
  });
});
