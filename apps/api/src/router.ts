import { apiKeysRouter, authRouter, invitesRouter } from './auth/router.js';
import { creditsRouter } from './credits/router.js';
import { galleryRouter } from './gallery/router.js';
import { jobsRouter } from './jobs/router.js';
import { queueRouter } from './queue/router.js';
import { referencesRouter } from './references/router.js';
import { statsRouter } from './stats/router.js';
import { router } from './trpc.js';
import { webhooksRouter } from './webhooks/router.js';

export const appRouter = router({
  auth: authRouter,
  apiKeys: apiKeysRouter,
  credits: creditsRouter,
  gallery: galleryRouter,
  invites: invitesRouter,
  jobs: jobsRouter,
  queue: queueRouter,
  references: referencesRouter,
  stats: statsRouter,
  webhooks: webhooksRouter,
});

/** The API's shape, imported as a type by the client and the web app. */
export type AppRouter = typeof appRouter;
