// Shared by the process-level scenarios (status, latency, throughput, slots, scale): an embedded
// Postgres in a temporary directory, the API and workers as child processes (their built `main.js`),
// an account with an API key made over HTTP, and small statistics helpers. Everything listens on
// 127.0.0.1 and everything started here is stopped by `stack.stop()`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateDatabase, startEmbeddedPostgres } from '@darkroom/db';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Credits and submit limits large enough that a bench measures the system, not the account's limits. */
export const UNLIMITED_ACCOUNT = {
  STARTING_CREDITS: '1000000000',
  SUBMITS_PER_MINUTE: '1000000',
  MAX_ACTIVE_JOBS_PER_USER: '1000000',
};

// BENCH_PG_STATEMENTS=N prints, after each measured row of the scenarios that call
// `stack.statements(label)`, the N statements Postgres spent most time on (pg_stat_statements).
const PG_STATEMENTS = Number(process.env.BENCH_PG_STATEMENTS ?? 0);
// BENCH_PG_SETTINGS='name=value;name=value' passes more server settings to the bench's Postgres (e.g.
// auto_explain's), and BENCH_PG_LOG=1 prints its log lines.
const PG_SETTINGS = Object.fromEntries(
  (process.env.BENCH_PG_SETTINGS ?? '')
    .split(';')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()]),
);

export async function startStack(name, { onPostgresLog } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `darkroom-bench-${name}-`));
  const postgres = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'pg'),
    ephemeral: true,
    onLog: onPostgresLog ?? (process.env.BENCH_PG_LOG ? (line) => console.error(`postgres: ${line}`) : undefined),
    settings: {
      ...(PG_STATEMENTS > 0
        ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' }
        : {}),
      ...PG_SETTINGS,
    },
  });
  const children = [];
  const cleanups = [];
  await migrateDatabase(postgres.url);
  if (PG_STATEMENTS > 0) await sql(postgres.url, 'create extension if not exists pg_stat_statements');

  const spawnChild = (script, env, readyPattern, nodeArgs = []) => {
    const child = spawn(process.execPath, [...nodeArgs, script], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: postgres.url,
        STORAGE_DIR: path.join(dir, 'images'),
        PORT: '0',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const match = out.match(readyPattern);
        if (match) resolve({ child, match });
      });
      child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
    });
  };

  return {
    dir,
    databaseUrl: postgres.url,
    /** The API as its own process; resolves to { url, child }. */
    async startApi(env = {}) {
      // BENCH_API_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the API process only.
      const nodeArgs = process.env.BENCH_API_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
      const { child, match } = await spawnChild(
        'apps/api/dist/main.js',
        { ...UNLIMITED_ACCOUNT, ...env },
        /listening on (http:\/\/\S+)/,
        nodeArgs,
      );
      return { url: match[1], child };
    },
    /** A worker as its own process, once it says it runs. */
    async startWorker(env = {}) {
      // BENCH_WORKER_NODE_ARGS likewise profiles each worker process.
      const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
      const { child } = await spawnChild('apps/worker/dist/main.js', env, /darkroom worker \S+ running/, nodeArgs);
      return child;
    },
    /** Any script as a child process with the stack's env; resolves once its stdout matches. */
    startProcess(script, env, readyPattern) {
      return spawnChild(script, env, readyPattern);
    },
    onStop(cleanup) {
      cleanups.push(cleanup);
    },
    /**
     * With BENCH_PG_STATEMENTS=N: prints the N statements Postgres spent most time on since the last
     * call (total and mean time, calls, rows; nested plpgsql statements included), then resets.
     */
    async statements(label) {
      if (PG_STATEMENTS <= 0) return;
      const rows = await sql(
        postgres.url,
        `select round(total_exec_time::numeric, 1) as total_ms, calls,
           round((total_exec_time / greatest(calls, 1))::numeric, 3) as mean_ms, rows,
           left(regexp_replace(query, '\\s+', ' ', 'g'), 140) as query
         from pg_stat_statements where query not like '%pg_stat_statements%'
         order by total_exec_time desc limit ${PG_STATEMENTS}`,
      );
      console.log(`\n-- Postgres statements, ${label} (top ${PG_STATEMENTS} by total time)`);
      console.table(rows);
      await this.resetStatements();
    },
    /** With BENCH_PG_STATEMENTS: forgets what Postgres has counted so far (a row's start). */
    async resetStatements() {
      if (PG_STATEMENTS > 0) await sql(postgres.url, 'select pg_stat_statements_reset()');
    },
    async stop() {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
      await Promise.all(children.map(stopChild));
      await postgres.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One statement on its own connection. */
async function sql(url, text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Signs up over HTTP and creates an API key, the way a user does. */
export async function signUpForKey(url, email) {
  const signUp = await fetch(`${url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'a bench password' }),
  });
  if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`);
  const cookie = signUp.headers.get('set-cookie').split(';')[0];
  const created = await fetch(`${url}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'bench' }),
  });
  return (await created.json()).result.data.key;
}

/** One tRPC call over HTTP with the API key; returns the procedure's data or throws. */
export async function trpc(url, apiKey, procedure, input, { method = 'POST' } = {}) {
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const response =
    method === 'GET'
      ? await fetch(
          `${url}/trpc/${procedure}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
          { headers },
        )
      : await fetch(`${url}/trpc/${procedure}`, { method: 'POST', headers, body: JSON.stringify(input) });
  const body = await response.json();
  if (!response.ok) throw new Error(`${procedure}: ${response.status} ${JSON.stringify(body)}`);
  return body.result.data;
}

export async function waitFor(check, timeoutMs = 60_000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => (sorted.length ? round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) : null);
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const round1 = (n) => Math.round(n * 10) / 10;
