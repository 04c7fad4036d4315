#!/usr/bin/env node
// Adds up the JSON reports every package's vitest run wrote and prints one closing line.
// A skipped test counts as a failure here: nothing may hide behind `.skip`.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve('test-results/vitest');
let passed = 0;
let failed = 0;
let skipped = 0;
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
for (const file of files) {
  const report = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  if (report.numPendingTests > 0) console.error(`test-summary: ${file} skipped ${report.numPendingTests} test(s)`);
  // A file can fail with every test passed: a hook threw, or it left a worker, server or database open
  // (vitest.leak-check.ts). Each such file counts as one failure.
  for (const result of report.testResults ?? []) {
    if (result.status !== 'failed' || result.assertionResults.some((test) => test.status === 'failed')) continue;
    failed += 1;
    console.error(`test-summary: ${result.name} failed outside its tests: ${result.message.split('\n')[0]}`);
  }
}
if (files.length === 0) {
  console.error('test-summary: no vitest reports found');
  process.exit(1);
}
console.log(`Tests: ${passed} passed, ${failed + skipped} failed`);
process.exit(failed + skipped > 0 || passed === 0 ? 1 : 0);
