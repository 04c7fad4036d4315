/**
 * A Darkroom spread over processes the fault tests own and may kill: the launcher's API (no worker of
 * its own), extra API processes, worker processes. And the invariants that must hold after any fault.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ledgerViolations, makeDb } from '@darkroom/db';
import { eventually, repoRoot, type Stack } from '../stack.js';

export interface Processes {
  worker(id: string, env?: Record<string, string>): Promise<ChildProcess>;
  /**
   * A worker under a supervisor, as systemd's Restart=always or Kubernetes would run it: when it exits
   * on its own with an error, it is started again under the same WORKER_ID. Returns how many restarts.
   */
  supervisedWorker(id: string, env?: Record<string, string>): Promise<{ restarts: () => number }>;
  api(env?: Record<string, string>): Promise<{ child: ChildProcess; url: string }>;
  /** SIGKILLs whatever is still running. */
  killAll(): void;
}

export function processes(stack: Stack): Processes {
  const children: ChildProcess[] = [];
  let stopped = false;
  const spawnWith = (script: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, [script], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        STORAGE_DIR: stack.storageDir,
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    // For a failing fault run: DARKROOM_FAULTS_VERBOSE=1 shows what the processes said.
    if (process.env.DARKROOM_FAULTS_VERBOSE) {
      child.stdout!.pipe(process.stderr);
      child.stderr!.pipe(process.stderr);
    }
    return { child, output: () => output };
  };
  return {
    async worker(id, env = {}) {
      const { child, output } = spawnWith('apps/worker/dist/main.js', { WORKER_ID: id, ...env });
      await eventually(
        async () =>
          output().includes(`${id} running`) || (child.exitCode !== null && Promise.reject(new Error(output()))),
      );
      return child;
    },
    async supervisedWorker(id, env = {}) {
      let restarts = 0;
      const restart = () => {
        if (stopped) return;
        restarts++;
        // A start that fails (the database still down) is retried, as a supervisor would.
        setTimeout(() => void this.worker(id, env).then(keep, restart), 500);
      };
      const keep = (child: ChildProcess) => {
        child.once('exit', (code) => {
          if (code !== null && code !== 0) restart();
        });
      };
      keep(await this.worker(id, env));
      return { restarts: () => restarts };
    },
    async api(env = {}) {
      const { child, output } = spawnWith('apps/api/dist/main.js', { PORT: '0', ...env });
      const url = await eventually(
        async () =>
          output().match(/listening on (http:\/\/\S+)/)?.[1] ??
          (child.exitCode !== null && Promise.reject(new Error(output()))),
      );
      return { child, url };
    },
    killAll() {
      stopped = true;
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * What must hold after any fault, read from the database and the image directory:
 * every job ended; no image slot was stored twice; every stored image's file exists; the credit ledger
 * balances (each user's entries sum to the balance; each ended job was charged exactly for its stored
 * images and holds nothing).
 */
export async function invariantViolations(stack: Stack, jobIds: string[]): Promise<string[]> {
  const db = makeDb({ url: stack.databaseUrl, poolSize: 2 });
  try {
    const violations: string[] = [];
    const open = await db.job.findMany({
      where: { id: { in: jobIds }, status: { in: ['queued', 'running'] } },
      select: { id: true, status: true },
    });
    for (const job of open) violations.push(`job ${job.id} is still ${job.status}`);
    const twice = await db.$queryRaw<{ job_id: string; index: number; n: bigint }[]>`
      select job_id, (data->>'index')::int as index, count(*) as n from job_events
      where type = 'image_succeeded' and job_id = any(${jobIds}::uuid[])
      group by 1, 2 having count(*) > 1`;
    for (const slot of twice) violations.push(`image ${slot.index} of job ${slot.job_id} was stored ${slot.n} times`);
    const stored = await db.image.findMany({
      where: { jobId: { in: jobIds }, status: 'succeeded' },
      select: { storageKey: true },
    });
    for (const image of stored) {
      if (!image.storageKey || !existsSync(path.join(stack.storageDir, image.storageKey)))
        violations.push(`stored image ${image.storageKey} has no file`);
    }
    violations.push(...(await ledgerViolations(db)));
    return violations;
  } finally {
    await db.$disconnect();
  }
}

/** Waits until every job has ended (or the time is up), reading the database. */
export async function allEnded(stack: Stack, jobIds: string[], timeoutMs: number): Promise<void> {
  const db = makeDb({ url: stack.databaseUrl, poolSize: 1 });
  try {
    await eventually(
      async () => (await db.job.count({ where: { id: { in: jobIds }, status: { in: ['queued', 'running'] } } })) === 0,
      timeoutMs,
    );
  } finally {
    await db.$disconnect();
  }
}
