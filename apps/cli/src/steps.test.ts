import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, startApi, type RunningApi } from '@darkroom/api';
import type { JobView } from '@darkroom/core';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built `darkroom` binary against a real API and a worker whose `local` provider renders in three
// visible passes (LOCAL_PASS_MS apart), so images have steps and previews while they run.
const BIN = path.resolve(import.meta.dirname, '../dist/main.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'darkroom-cli-steps-'));
let database: TestDatabase;
let api: RunningApi;
let worker: RunningWorker;
let apiKey: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    STORAGE_DIR: path.join(scratch, 'images'),
    PORT: '0',
    LOG_LEVEL: 'silent',
    POLL_INTERVAL_MS: '200',
  };
  worker = await startWorker(
    loadWorkerConfig({ ...env, LOCAL_PASS_MS: '600', PREVIEW_INTERVAL_MS: '100', IMAGE_CONCURRENCY: '1' }),
  );
  api = await startApi(loadApiConfig(env));
  const signUp = await fetch(`${api.url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'cli-steps@example.com', password: 'a long enough password' }),
  });
  const cookie = signUp.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${api.url}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'cli steps' }),
  });
  apiKey = ((await created.json()) as { result: { data: { key: string } } }).result.data.key;
});
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await database?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `darkroom ...args`; with `tty`, inside `script`, so stdout and stderr are a terminal. */
function darkroom(args: string[], { tty = false } = {}): Promise<Run> {
  const env = { PATH: process.env.PATH ?? '', DARKROOM_URL: api.url, DARKROOM_API_KEY: apiKey, TERM: 'xterm' };
  const quoted = [process.execPath, BIN, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const [file, argv] = tty ? ['script', ['-qfec', quoted, '/dev/null']] : [process.execPath, [BIN, ...args]];
  return new Promise((resolve) => {
    execFile(file, argv, { env, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const isWebp = (bytes: Buffer) =>
  bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP';

describe('darkroom shows steps and saves previews', () => {
  it('prints each running image with its step, and --previews saves every pass as it arrives', async () => {
    const previews = path.join(scratch, 'previews');
    const out = path.join(scratch, 'out');

    const run = await darkroom(['generate', 'a lighthouse at dusk', '-n', '2', '--previews', previews, '-o', out]);

    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^0% queued \(position \d+/);
    for (const step of ['image 1/2 step 1/3', 'image 1/2 step 2/3', 'image 2/2 step 1/3', 'image 2/2 step 2/3'])
      expect(lines.some((line) => line.includes(step))).toBe(true);
    expect(lines.at(-1)).toBe('100% succeeded, 2/2 images');
    const jobId = readdirSync(out)[0]!.split('-').slice(0, -1).join('-');
    expect(readdirSync(previews).sort()).toEqual([
      `${jobId}-0-step1.webp`,
      `${jobId}-0-step2.webp`,
      `${jobId}-1-step1.webp`,
      `${jobId}-1-step2.webp`,
    ]);
    for (const file of readdirSync(previews)) expect(isWebp(readFileSync(path.join(previews, file)))).toBe(true);
  });

  it('--json lists the saved previews next to the job and its files', async () => {
    const previews = path.join(scratch, 'json-previews');
    const run = await darkroom(['generate', 'a quiet harbour', '--previews', previews, '--json', '-q']);

    expect([run.code, run.stderr]).toEqual([0, '']);
    const { job, previews: saved } = JSON.parse(run.stdout) as { job: JobView; previews: string[] };
    expect(job.status).toBe('succeeded');
    expect(saved.map((file) => path.basename(file))).toEqual([`${job.id}-0-step1.webp`, `${job.id}-0-step2.webp`]);
  });

  it('draws the bar in place on a terminal, with the steps in it', async () => {
    const run = await darkroom(['generate', 'a paper boat'], { tty: true });

    expect(run.code).toBe(0);
    // `script` gives stdout and stderr one terminal: the bar, then the result.
    expect(run.stdout).toMatch(/\[#*\.*\] \d+% running: generating, image 1\/1 step 1\/3/);
    expect(run.stdout).toMatch(/\[#{24}\] 100% succeeded, 1\/1 images/);
    expect(run.stdout).toContain('\r');
  });
});

describe('darkroom help and bad flags', () => {
  it('shows help per command (exit 0), the exit codes in the main help, and the usage with no command (exit 2)', async () => {
    const generate = await darkroom(['generate', '--help']);
    const list = await darkroom(['help', 'list']);
    const main = await darkroom(['--help']);
    const none = await darkroom([]);

    expect(generate.code).toBe(0);
    for (const flag of ['--num-images', '--preset', '--previews', '--no-wait', '--timeout', '--reference', '--json'])
      expect(generate.stdout).toContain(flag);
    expect([list.code, list.stdout]).toEqual([0, expect.stringContaining('--cursor <id>')]);
    expect([main.code, main.stdout]).toEqual([0, expect.stringContaining('7 Darkroom unreachable or failing')]);
    expect([none.code, none.stdout]).toEqual([2, expect.stringContaining('Usage: darkroom')]);
  });

  it.each([
    [['generate', 'x', '--json', '--timeout', 'soon'], '--timeout must be a whole number (got soon)'],
    [['generate', 'x', '--json', '--seed', '-4'], '--seed must be a whole number'],
    [['generate', 'x', '--aspect-ratio', '5:4', '--json'], '--aspect-ratio must be one of'],
    [['generate', 'x', '--previews'], "option '--previews <dir>' argument missing"],
    [['generate', 'x', '--colour', 'red', '--json'], "unknown option '--colour'"],
    [['vary', 'some-image', '--strength', 'lots', '--json'], '--strength must be a number from 0 to 1 (got lots)'],
    [['upscale', 'some-image', '--factor', '3'], '--factor must be one of 2, 4 (got 3)'],
    [['list', '--json', '--limit', 'all'], '--limit must be a whole number'],
    [['list', '--status', 'sleeping'], '--status must be one of'],
    [['status', 'a', 'b'], 'too many arguments'],
    [['keys', 'rotate'], "unknown command 'rotate'"],
  ])('darkroom %j exits 2 naming the problem, with nothing sent', async (args, message) => {
    const run = await darkroom(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    if (args.includes('--json'))
      expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'USAGE', exitCode: 2 } });
  });

  it('submitted nothing for any of them', async () => {
    const page = await darkroom(['list', '--json']);

    expect(JSON.parse(page.stdout).items.every((job: JobView) => job.prompt !== 'x')).toBe(true);
  });
});

describe('darkroom while queued', () => {
  it('shows the queue position (and wait) while queued; --timeout exits 1 and says how to follow the job', async () => {
    // No worker: the job stays queued.
    await worker.stop();
    try {
      const run = await darkroom(['generate', 'a long queue', '--timeout', '2', '--json']);

      expect(run.code).toBe(1);
      expect(run.stderr.split('\n')[0]).toMatch(/^0% queued \(position \d+(, ~\d+ s)?\)$/);
      const { error, jobId } = JSON.parse(run.stdout) as { error: { code: string }; jobId: string };
      expect(error.code).toBe('TIMEOUT');
      expect(run.stderr).toContain(`follow it with: darkroom status ${jobId}`);
    } finally {
      worker = await startWorker(
        loadWorkerConfig({
          DATABASE_URL: database.url,
          STORAGE_DIR: path.join(scratch, 'images'),
          LOG_LEVEL: 'silent',
          POLL_INTERVAL_MS: '200',
        }),
      );
    }
  });
});
