/**
 * `pnpm darkroom:admin ...` (see admin-command.ts). Uses DATABASE_URL, or the embedded Postgres under
 * DARKROOM_DATA_DIR when Darkroom is not running (with it running, pass the DATABASE_URL its start
 * banner prints).
 */
import { makeDb, migrateDatabase, resolveDatabase } from '@darkroom/db';
import { runAdminCommand } from './admin-command.js';
import { accountSettingsFrom, loadApiConfig } from './env.js';

const config = loadApiConfig();
const database = await resolveDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DARKROOM_DATA_DIR });
const db = makeDb({ url: database.url, poolSize: 2 });
let code = 0;
try {
  await migrateDatabase(database.url);
  for (const line of await runAdminCommand(process.argv.slice(2), { db, settings: accountSettingsFrom(config) }))
    console.log(line);
} catch (error) {
  console.error((error as Error).message);
  code = 1;
} finally {
  await db.$disconnect();
  await database.embedded?.stop();
}
process.exit(code);
