#!/usr/bin/env node
// `prisma generate` for the Prisma 7 client. The CLI looks for its native schema engine at start even
// though generate never uses it, and that download is unreachable here: point it at a placeholder file.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const work = mkdtempSync(path.join(os.tmpdir(), 'darkroom-generate-'));
const placeholder = path.join(work, 'schema-engine');
closeSync(openSync(placeholder, 'w'));
const result = spawnSync('prisma', ['generate', '--schema', '../../prisma/schema.prisma'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  shell: false,
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
rmSync(work, { recursive: true, force: true });
if (result.status !== 0) {
  process.stdout.write(result.stdout ?? '');
  process.exit(result.status ?? 1);
}
