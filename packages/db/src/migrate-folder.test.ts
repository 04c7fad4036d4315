import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, readMigrations } from './migrate.js';

describe('the migrations folder', () => {
  it('is prisma/migrations at the repository root when there is one, never the build copy', () => {
    expect(DEFAULT_MIGRATIONS_DIR).toBe(path.resolve(import.meta.dirname, '../../../prisma/migrations'));
    expect(readMigrations().length).toBeGreaterThan(0);
  });

  it('missing is an error, not "nothing to apply" (a deploy without it would start on an empty schema)', () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'darkroom-no-migrations-'));
    try {
      expect(() => readMigrations(path.join(scratch, 'migrations'))).toThrow(/no migrations folder at .*migrations/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
