/**
 * A worker on its own (`pnpm --filter @darkroom/worker start`): start as many as you like, on any
 * machine that reaches the same Postgres (and the same image storage).
 */
import { migrateDatabase } from '@darkroom/db';
import { loadWorkerConfig } from './env.js';
import { startWorker } from './start.js';

const config = loadWorkerConfig();
if (!config.DATABASE_URL) {
  console.error('DATABASE_URL is required: point the worker at the Postgres the API uses (`npm start` prints it).');
  process.exit(2);
}
await migrateDatabase(config.DATABASE_URL);
const worker = await startWorker(config);
console.log(`darkroom worker ${worker.workerId} running`);
// Crash-only: a worker whose queue runner died exits non-zero for its supervisor to restart it; the
// jobs it held are released by the other workers' recovery once its heartbeat stops.
void worker.crashed.then((error) => {
  console.error(`darkroom worker ${worker.workerId} crashed: ${error.message}`);
  process.exit(1);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`darkroom worker ${worker.workerId} did not stop cleanly`, error);
        process.exit(1);
      },
    );
  });
}
