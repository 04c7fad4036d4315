/**
 * The leak check every package's tests run under (vitest.leak-check.ts): vitest runs, as a child
 * process, the fixtures in test/leak-fixtures under the shared config. A file that leaves a fake server
 * or a child process running fails naming it and where it was opened, and nothing outlives the run; a
 * file that closes everything passes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixtures = fileURLToPath(new URL('../../test/leak-fixtures', import.meta.url));
const vitestBin = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
const marker = `darkroom-leak-marker-${randomBytes(6).toString('hex')}`;
const outDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-leak-check-'));

interface FileResult {
  name: string;
  status: string;
  message: string;
  assertionResults: { status: string }[];
}
let results: FileResult[];
let exitCode: number | null;

beforeAll(async () => {
  const report = path.join(outDir, 'report.json');
  // Its own process group, so a hang is killed whole; --reporter replaces the shared config's JSON
  // report, which would otherwise count the fixtures' failures in the suite's summary.
  const child = spawn(
    process.execPath,
    [
      vitestBin,
      'run',
      '--root',
      fixtures,
      '--config',
      'vitest.config.ts',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    { cwd: fixtures, env: { ...process.env, LEAK_MARKER: marker }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 90_000);
  exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  try {
    results = (JSON.parse(readFileSync(report, 'utf8')) as { testResults: FileResult[] }).testResults;
  } catch (error) {
    throw new Error(`the fixture run wrote no report (exit ${exitCode}): ${String(error)}\n${output}`);
  }
}, 100_000);

afterAll(() => {
  // Should the check ever stop killing it, the leaked child must still not outlive this test.
  for (const pid of processesMentioning(marker)) process.kill(pid, 'SIGKILL');
  rmSync(outDir, { recursive: true, force: true });
});

function resultOf(fixture: string): FileResult {
  const result = results.find((file) => path.basename(file.name) === fixture);
  if (!result) throw new Error(`no result for ${fixture} in ${results.map((file) => file.name).join(', ')}`);
  return result;
}

describe('a test file that leaves something running', () => {
  it('fails the run', () => {
    expect(exitCode).toBe(1);
  });

  it('fails naming a leaked fake server and the test line that opened it, though its test passed', () => {
    const result = resultOf('leaks-a-server.fixture.ts');
    expect(result.assertionResults.map((test) => test.status)).toEqual(['passed']);
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/1 resource\(s\) left open by this test file \(now closed\)/);
    expect(result.message).toMatch(/- fake HTTP server http:\/\/127\.0\.0\.1:\d+/);
    expect(result.message).toMatch(/at startFakeHttpServer \(.*fake-http\.ts:\d+/);
    expect(result.message).toMatch(/leaks-a-server\.fixture\.ts:6:\d+/);
  });

  it('fails naming a leaked child process, and kills it', () => {
    const result = resultOf('leaks-a-child.fixture.ts');
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/1 child process\(es\) left running by this test file \(now killed\)/);
    expect(result.message).toContain(marker);
    expect(processesMentioning(marker)).toEqual([]);
  });
});

describe('a test file that closes what it opens', () => {
  it('passes', () => {
    const result = resultOf('closes-everything.fixture.ts');
    expect(result.message).toBe('');
    expect(result.status).toBe('passed');
    expect(result.assertionResults.map((test) => test.status)).toEqual(['passed', 'passed', 'passed']);
  });
});

function processesMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}
