import { adminRouter } from './admin/router.js';
import { apiKeysRouter, authRouter, invitesRouter } from './auth/router.js';
import { creditsRouter } from './credits/router.js';
import { collectionsRouter } from './gallery/collections-router.js';
import { galleryRouter } from './gallery/router.js';
import { jobsRouter } from './jobs/router.js';
import { modelsRouter } from './models/router.js';
import { queueRouter } from './queue/router.js';
import { referencesRouter } from './references/router.js';
import { assetsRouter } from './assets/router.js';
import { statsRouter } from './stats/router.js';
import { router } from './trpc.js';
import { webhooksRouter } from './webhooks/router.js';

export const appRouter = router({
  admin: adminRouter,
  auth: authRouter,
  apiKeys: apiKeysRouter,
  collections: collectionsRouter,
  credits: creditsRouter,
  gallery: galleryRouter,
  invites: invitesRouter,
  jobs: jobsRouter,
  models: modelsRouter,
  queue: queueRouter,
  references: referencesRouter,
  assets: assetsRouter,
  stats: statsRouter,
  webhooks: webhooksRouter,
});

/** The API's shape, imported as a type by the client and the web app. */
export type AppRouter = typeof appRouter;
