#!/usr/bin/env node
// Lighthouse on the landing page (sign-up) of the built app, started here on a scratch data folder,
// offline, with the machine's Chromium. Prints the three scores and fails under 95 / 100 / 100.
//
//   npm run build && LIGHTHOUSE=/path/to/lighthouse node scripts/lighthouse.mjs [report.json]
//
// LIGHTHOUSE is the lighthouse CLI (`npm i -g lighthouse@13` gives `lighthouse`; the default);
// CHROMIUM_PATH is Chromium (default /usr/bin/chromium).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-lighthouse-'));
const report = path.resolve(process.argv[2] ?? path.join(dataDir, 'lighthouse.json'));
const minimum = { performance: 95, accessibility: 100, 'best-practices': 100 };

const app = spawn(process.execPath, ['scripts/start.mjs'], {
  cwd: root,
  env: { ...process.env, PORT: '0', DARKROOM_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
app.stdout.on('data', (chunk) => (output += chunk));
app.stderr.on('data', (chunk) => (output += chunk));
const stop = () => {
  try {
    process.kill(-app.pid, 'SIGINT');
  } catch {
    // Already gone.
  }
};
let failed = false;
try {
  const deadline = Date.now() + 60_000;
  let match;
  while (!(match = output.match(/Darkroom is running at (http:\/\/\S+)/))) {
    if (app.exitCode !== null || Date.now() > deadline) throw new Error(`Darkroom did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = match[1];
  const run = spawnSync(
    process.env.LIGHTHOUSE ?? 'lighthouse',
    [
      url,
      '--only-categories=performance,accessibility,best-practices',
      '--output=json',
      `--output-path=${report}`,
      '--quiet',
      '--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run',
    ],
    { stdio: 'inherit', env: { ...process.env, CHROME_PATH: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' } },
  );
  if (run.status !== 0) throw new Error(`lighthouse exited with ${run.status ?? run.error}`);
  const { categories, audits } = JSON.parse(readFileSync(report, 'utf8'));
  for (const [id, least] of Object.entries(minimum)) {
    const score = Math.round(categories[id].score * 100);
    console.log(`${categories[id].title}: ${score} (at least ${least})`);
    if (score < least) failed = true;
  }
  for (const id of [
    'first-contentful-paint',
    'largest-contentful-paint',
    'total-blocking-time',
    'cumulative-layout-shift',
  ])
    console.log(`  ${audits[id].title}: ${audits[id].displayValue}`);
  for (const audit of Object.values(audits))
    if (audit.score !== null && audit.score < 0.9 && audit.scoreDisplayMode !== 'informative')
      console.log(`  to fix: ${audit.id} (${audit.displayValue ?? audit.title})`);
  console.log(`report: ${report}`);
} finally {
  stop();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  if (!process.argv[2]) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
