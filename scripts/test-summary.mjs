#!/usr/bin/env node
// Adds up the JSON reports every package's vitest run wrote and prints one closing line.
// A skipped test counts as a failure here: nothing may hide behind `.skip`.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve('test-results/vitest');
let passed = 0;
let failed = 0;
let skipped = 0;
// Printed again just above the closing line, so a CI log that keeps only its tail still names them.
const failures = [];
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
    const where = path.relative(process.cwd(), result.name);
    for (const test of result.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      failures.push(`${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
    if (result.status !== 'failed' || result.assertionResults.some((test) => test.status === 'failed')) continue;
    failed += 1;
    failures.push(`${where} failed outside its tests: ${firstLine(result.message)}`);
  }
}
if (files.length === 0) {
  console.error('test-summary: no vitest reports found');
  process.exit(1);
}
for (const failure of failures) console.error(`test-summary: FAILED ${failure}`);
console.log(`Tests: ${passed} passed, ${failed + skipped} failed`);
process.exit(failed + skipped > 0 || passed === 0 ? 1 : 0);

function firstLine(text) {
  return (
    (text ?? '')
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .find((line) => line.trim() !== '') ?? ''
  );
}
