/**
 * Runs Darkroom the way a newcomer does (`node scripts/start.mjs`, what `npm start` ends in) as a child
 * process with its own data directory, and stops it the way Ctrl-C does: SIGINT to its process group.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackResource } from '@darkroom/core/tracked-resources';
import { inject } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Stack {
  url: string;
  databaseUrl: string;
  storageDir: string;
  child: ChildProcess;
  output(): string;
  /**
   * Sends `signal` to the whole process group and resolves with the exit code. A stop that takes longer
   * than `timeoutMs` kills the group and rejects with what the launcher said: a hang is a bug to see.
   * Only the first call acts; later calls answer as it did.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts Darkroom on `dataDir`. An empty one gets a copy of the run's migrated cluster
 * (global-setup.ts) unless `fresh`, or the stack has its own DATABASE_URL.
 */
export async function startStack(
  dataDir: string,
  env: Record<string, string> = {},
  { fresh = false }: { fresh?: boolean } = {},
): Promise<Stack> {
  if (!fresh && !env.DATABASE_URL && readdirSync(dataDir).length === 0) {
    // `cp -a` keeps the owner: as root the cluster belongs to the `postgres` user, who alone may run it.
    execFileSync('cp', ['-a', `${inject('clusterTemplate')}/.`, dataDir]);
  }
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', DARKROOM_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 60_000;
  let match: RegExpMatchArray | null = null;
  while (!(match = output.match(/Darkroom is running at (http:\/\/\S+)/))) {
    if (child.exitCode !== null) throw new Error(`darkroom exited during start:\n${output}`);
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      throw new Error(`darkroom did not start within 60 s (killed):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // An operator's own DATABASE_URL is shown with its password masked: the test knows it already.
  const databaseUrl = env.DATABASE_URL ?? databaseUrlFrom(output);
  const storageDir = output.match(/STORAGE_DIR=(\S+)/)?.[1];
  if (!databaseUrl || !storageDir) throw new Error(`start banner lacks DATABASE_URL/STORAGE_DIR:\n${output}`);
  return {
    url: match[1]!,
    databaseUrl,
    storageDir,
    child,
    output: () => output,
    // Tracked: a test file that leaves its stack running fails (vitest.leak-check.ts).
    stop: trackResource(
      `Darkroom stack ${match[1]} (pid ${child.pid}, ${dataDir})`,
      async (signal: NodeJS.Signals = 'SIGINT', timeoutMs = 30_000) => {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
        const outcome = await Promise.race([exited, late]).finally(() => clearTimeout(timer));
        if (outcome !== 'late') return outcome;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // The group ended in between.
        }
        await exited;
        throw new Error(
          `darkroom did not stop within ${timeoutMs} ms of ${signal}; killed. Its output:\n${output.slice(-4000)}`,
        );
      },
    ),
  };
}

/**
 * The banner's DATABASE_URL. For embedded Postgres it reads the password from its file, the way the
 * banner's `$(cat FILE)` does in a shell: the password itself is never printed.
 */
function databaseUrlFrom(output: string): string | undefined {
  const shown = output.match(/DATABASE_URL="([^"]+)"/)?.[1] ?? output.match(/DATABASE_URL=(\S+)/)?.[1];
  return shown?.replace(/\$\(cat ([^)]+)\)/, (_match, file: string) =>
    encodeURIComponent(readFileSync(file, 'utf8').trim()),
  );
}

/** Pids of live processes whose command line mentions `needle` (e.g. a data directory). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** tRPC over plain HTTP, as any program without our client would call it (with an API key if given). */
export async function trpc<T>(
  baseUrl: string,
  procedure: string,
  input: unknown,
  kind: 'query' | 'mutation',
  apiKey?: string,
): Promise<T> {
  const auth: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const response =
    kind === 'query'
      ? await fetch(`${baseUrl}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, {
          headers: auth,
        })
      : await fetch(`${baseUrl}/trpc/${procedure}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body: JSON.stringify(input),
        });
  const body = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!response.ok || !body.result)
    throw new Error(`${procedure} failed (${response.status}): ${JSON.stringify(body.error)}`);
  return body.result.data;
}

/** Signs up over HTTP (the session cookie) and creates an API key with it, as a script's owner would. */
export async function signUpForApiKey(baseUrl: string, email: string): Promise<string> {
  return (await signUp(baseUrl, email)).apiKey;
}

/** A new account: its session cookie (`name=value`, for a browser) and an API key (for scripts). */
export async function signUp(
  baseUrl: string,
  email: string,
): Promise<{ cookie: { name: string; value: string }; apiKey: string }> {
  const response = await fetch(`${baseUrl}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'an e2e password' }),
  });
  if (!response.ok) throw new Error(`sign up failed (${response.status}): ${await response.text()}`);
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${baseUrl}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'e2e' }),
  });
  const apiKey = ((await created.json()) as { result: { data: { key: string } } }).result.data.key;
  const [name, ...value] = cookie.split('=');
  return { cookie: { name: name!, value: value.join('=') }, apiKey };
}

export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
