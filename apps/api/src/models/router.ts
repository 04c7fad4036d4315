import { ModelCatalogView } from '@darkroom/core';
import { protectedProcedure, router } from '../trpc.js';
import { listModels } from './service.js';

export const modelsRouter = router({
  /** What each enabled provider offers a job to choose (models, LoRAs, samplers), as the workers last read it. */
  list: protectedProcedure
    .output(ModelCatalogView)
    .query(({ ctx: { db, settings } }) => listModels({ db, enabledProviders: settings.enabledProviders })),
});
