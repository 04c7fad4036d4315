/**
 * The API on its own (`pnpm --filter @darkroom/api start`): migrates the database, then serves.
 * Any number of these can run behind a load balancer on one Postgres.
 */
import { migrateDatabase, resolveDatabase } from '@darkroom/db';
import { loadApiConfig } from './env.js';
import { startApi } from './start.js';

const config = loadApiConfig();
const database = await resolveDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DARKROOM_DATA_DIR });
await migrateDatabase(database.url);
const api = await startApi({ ...config, DATABASE_URL: database.url });
console.log(`darkroom api listening on ${api.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const stop = async () => {
      await api.close();
      await database.embedded?.stop();
    };
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('darkroom api did not stop cleanly', error);
        process.exit(1);
      },
    );
  });
}
