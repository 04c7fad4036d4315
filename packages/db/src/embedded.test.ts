/**
 * Embedded Postgres's superuser password: random per cluster, kept in its data directory (0600), never
 * the shared one clusters used to have; a cluster from before is moved off that password at its next start.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-embedded-password-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function canLogIn(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('embedded Postgres credentials', () => {
  it('gives each cluster a random password in a 0600 file, kept across restarts, and rotates a legacy one', async () => {
    const dataDir = path.join(dir, 'pg');
    let postgres = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    const password = readFileSync(postgres.passwordFile, 'utf8').trim();
    try {
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(statSync(postgres.passwordFile).mode & 0o777).toBe(0o600);
      expect(postgres.url).toContain(`:${password}@`);
      expect(await canLogIn(postgres.url)).toBe(true);
      expect(await canLogIn(postgres.url.replace(`:${password}@`, ':darkroom@'))).toBe(false);
      // Made a cluster of before: the shared password, no file.
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      await client.query(`alter role postgres password 'darkroom'`);
      await client.end();
    } finally {
      await postgres.stop();
    }
    unlinkSync(path.join(dataDir, 'darkroom.password'));

    postgres = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    try {
      const rotated = readFileSync(postgres.passwordFile, 'utf8').trim();
      expect(rotated).not.toBe('darkroom');
      expect(await canLogIn(postgres.url)).toBe(true);
      expect(await canLogIn(postgres.url.replace(`:${rotated}@`, ':darkroom@'))).toBe(false);
    } finally {
      await postgres.stop();
    }
    // And the next start reads the file again.
    postgres = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    try {
      expect(await canLogIn(postgres.url)).toBe(true);
    } finally {
      await postgres.stop();
    }
  }, 120_000);
});
