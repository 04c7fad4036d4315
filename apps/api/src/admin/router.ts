import { EngineInstancesView } from '@darkroom/core';
import { adminProcedure, router } from '../trpc.js';
import { listEngineInstances } from './engines.js';

export const adminRouter = router({
  /** Admins: every self-hosted engine instance each live worker sees: health, images in flight, their jobs. */
  engines: adminProcedure.output(EngineInstancesView).query(({ ctx: { db } }) => listEngineInstances({ db })),
});
