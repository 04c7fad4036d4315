/**
 * One migrated embedded-Postgres cluster, made once per run by starting Darkroom on an empty data
 * directory and stopping it: `startStack` copies it into a test file's empty data directory instead
 * of running initdb and every migration again (seconds per file on 2 cores). start-stop.test.ts still
 * starts from nothing, as a newcomer does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startStack } from './stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterTemplate: string;
  }
}

let template: string | undefined;

export async function setup(project: TestProject) {
  template = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-template-'));
  const stack = await startStack(template, {}, { fresh: true });
  const code = await stack.stop();
  if (code !== 0) throw new Error(`the template stack stopped with ${code}:\n${stack.output().slice(-4000)}`);
  project.provide('clusterTemplate', template);
}

export function teardown() {
  if (template) rmSync(template, { recursive: true, force: true });
}
