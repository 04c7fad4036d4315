import { jobsRouter } from './jobs/router.js';
import { referencesRouter } from './references/router.js';
import { router } from './trpc.js';

export const appRouter = router({
  jobs: jobsRouter,
  references: referencesRouter,
});

/** The API's shape, imported as a type by the client and the web app. */
export type AppRouter = typeof appRouter;
