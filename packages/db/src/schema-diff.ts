/**
 * Migration SQL from schema.prisma, offline.
 *
 * Prisma 7's CLI downloads a native schema engine on every migrate command, which these machines cannot
 * reach. Prisma 6.19's CLI, configured with `engine: "js"` and a driver adapter, runs the same schema
 * engine compiled to Wasm, and `migrate diff --from-schema-datamodel A --to-schema-datamodel B --script`
 * prints correct SQL. It wants a reachable database for its adapter (it does not write to it) and a
 * `url` in the datasource block, which Prisma 7 forbids, so we hand it a copy with the url added.
 * It cannot introspect a live PostgreSQL 18 database ("Column type 'name' could not be deserialized"),
 * so "from" is always a schema file: an empty one, or the snapshot of the last migration.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

export interface SchemaDiffOptions {
  /** Path of the schema to diff from, or 'empty' for a database with nothing in it. */
  from: string | 'empty';
  /** Path of the schema to diff to. */
  to: string;
  /** Any reachable Postgres; the Wasm engine's adapter connects to it but the diff does not write. */
  databaseUrl: string;
}

/** The SQL that takes a database from `from` to `to` (empty string when they agree). */
export async function diffSchemas({ from, to, databaseUrl }: SchemaDiffOptions): Promise<string> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'darkroom-schema-diff-'));
  try {
    const toFile = withDatasourceUrl(to, path.join(work, 'to.prisma'));
    const fromArgs =
      from === 'empty'
        ? ['--from-empty']
        : ['--from-schema-datamodel', withDatasourceUrl(from, path.join(work, 'from.prisma'))];
    const config = path.join(work, 'prisma.config.mjs');
    writeFileSync(
      config,
      [
        `import { defineConfig } from ${JSON.stringify(require.resolve('prisma6/config'))};`,
        `import { PrismaPg } from ${JSON.stringify(require.resolve('prisma6-adapter-pg'))};`,
        `export default defineConfig({`,
        `  engine: 'js',`,
        `  experimental: { adapter: true },`,
        `  schema: ${JSON.stringify(toFile)},`,
        `  adapter: async () => new PrismaPg({ connectionString: process.env.MIGRATION_DATABASE_URL }),`,
        `});`,
      ].join('\n'),
    );
    // The engines are never used on this path, but the CLI insists on finding files for them.
    const placeholder = path.join(work, 'engine-placeholder');
    closeSync(openSync(placeholder, 'w'));
    const cli = path.join(path.dirname(require.resolve('prisma6/package.json')), 'build/index.js');
    const args = [cli, 'migrate', 'diff', '--config', config, ...fromArgs, '--to-schema-datamodel', toFile, '--script'];
    // The child needs our environment (PATH, proxies) plus its own settings.
    const { code, stdout, stderr } = await run(process.execPath, args, {
      // eslint-disable-next-line no-restricted-properties
      ...process.env,
      MIGRATION_DATABASE_URL: databaseUrl,
      PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
      PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    });
    if (code !== 0) throw new Error(`prisma migrate diff failed (exit ${code}):\n${stderr}\n${stdout}`);
    return isEmptyDiff(stdout) ? '' : stdout;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function isEmptyDiff(sql: string) {
  return sql.includes('This is an empty migration') || sql.trim() === '';
}

function withDatasourceUrl(schemaPath: string, outPath: string) {
  const schema = readFileSync(schemaPath, 'utf8');
  const patched = schema.replace(/datasource\s+db\s*\{/, (block) => `${block}\n  url = env("MIGRATION_DATABASE_URL")`);
  writeFileSync(outPath, patched);
  return outPath;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
