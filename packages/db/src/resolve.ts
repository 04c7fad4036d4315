import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';

export interface ResolvedDatabase {
  url: string;
  /** The embedded cluster when one was started; the caller stops it last, after draining. */
  embedded: EmbeddedPostgres | null;
}

/**
 * `databaseUrl` when the operator gave one; otherwise an embedded Postgres with its data under
 * `dataDir/postgres` (kept across restarts).
 */
export async function resolveDatabase(options: {
  databaseUrl?: string | undefined;
  dataDir: string;
  onLog?: (line: string) => void;
}): Promise<ResolvedDatabase> {
  if (options.databaseUrl) return { url: options.databaseUrl, embedded: null };
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(options.dataDir, 'postgres'),
    ...(options.onLog ? { onLog: options.onLog } : {}),
  });
  return { url: embedded.url, embedded };
}
