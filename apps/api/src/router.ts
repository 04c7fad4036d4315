import { jobsRouter } from './jobs/router.js';
import { queueRouter } from './queue/router.js';
import { referencesRouter } from './references/router.js';
import { router } from './trpc.js';

export const appRouter = router({
  jobs: jobsRouter,
  queue: queueRouter,
  references: referencesRouter,
});

/** The API's shape, imported as a type by the client and the web app. */
export type AppRouter = typeof appRouter;
