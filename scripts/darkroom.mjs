#!/usr/bin/env node
// The README's two commands, for a machine with only Node >= 20 and npm:
//   npm start  -> install, build, then boot Postgres (embedded unless DATABASE_URL), API, worker and web
//   npm test   -> install, build, then typecheck, lint and every test suite (unit, integration, browser)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { rmSync } from 'node:fs';

const PNPM_VERSION = '10.34.8';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** pnpm if this machine has pnpm 10, else the pinned pnpm through npx (corepack does not work here). */
function pnpm() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim().startsWith('10.')) return ['pnpm'];
  return ['npx', '-y', `pnpm@${PNPM_VERSION}`];
}

/** Runs a command; on failure exits with its code, unless `keepGoing` (then the caller decides). */
function run(command, args, { keepGoing = false } = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
  });
  if (result.status !== 0 && !keepGoing) {
    console.error(`darkroom: \`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  return result;
}

function prepare() {
  const [cmd, ...pre] = pnpm();
  run(cmd, [...pre, 'install', '--frozen-lockfile']);
  run(cmd, [...pre, 'exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
  return [cmd, pre];
}

const command = process.argv[2];
if (command === 'start') {
  prepare();
  // Same process from here on, so Ctrl-C reaches the launcher that owns Postgres.
  await import('./start.mjs');
} else if (command === 'test') {
  const [cmd, pre] = prepare();
  rmSync(path.join(root, 'test-results/vitest'), { recursive: true, force: true });
  // --continue: one package's failure must not hide the others'; the summary counts them all, and the
  // command fails if anything did.
  // The formatter first: it takes seconds, and a tree it would rewrite fails the run like a lint error.
  const format = run(cmd, [...pre, 'exec', 'prettier', '--check', '--log-level=warn', '.'], { keepGoing: true });
  const suites = run(
    cmd,
    [...pre, 'exec', 'turbo', 'run', 'typecheck', 'lint', 'test', '--concurrency=2', '--continue'],
    { keepGoing: true },
  );
  run('node', ['scripts/test-summary.mjs']);
  if (format.status !== 0) {
    console.error('darkroom: files are not formatted; run `pnpm format` (prettier --write .)');
  }
  if (suites.status !== 0) {
    console.error(`darkroom: typecheck, lint or tests failed (turbo exit ${suites.status ?? suites.signal})`);
    process.exit(suites.status ?? 1);
  }
  if (format.status !== 0) process.exit(1);
} else {
  console.error('usage: node scripts/darkroom.mjs start|test');
  process.exit(2);
}
