/** The admin view of self-hosted engine instances, as each worker's pool reports them. */
import { z } from 'zod';

export const EngineInstanceView = z.object({
  /** The reporting worker (its WORKER_ID or host:pid). */
  workerId: z.string(),
  provider: z.string(),
  /** `host[:port]` of the instance: never the URL's credentials. */
  host: z.string(),
  state: z.enum(['healthy', 'down']),
  /** Until when a down instance is skipped (ISO 8601). */
  downUntil: z.string().nullable(),
  /** Images this worker has on it now. */
  inFlight: z.number().int(),
  /** The jobs those images belong to. */
  jobIds: z.array(z.string()),
  /** Prompts the engine has running or waiting from every client (ComfyUI); null where it does not say (A1111). */
  engineQueue: z.number().int().nullable(),
  /** When the worker last checked it (ISO 8601). */
  checkedAt: z.string(),
});
export type EngineInstanceView = z.infer<typeof EngineInstanceView>;

export const EngineInstancesView = z.object({ instances: z.array(EngineInstanceView) });
export type EngineInstancesView = z.infer<typeof EngineInstancesView>;

/** Admins: the engine instance each running image of one job is on (`admin.jobInstances`). */
export const JobInstancesView = z.object({
  images: z.array(
    z.object({
      index: z.number().int(),
      /** `host[:port]` of the instance: never the URL's credentials. */
      instance: z.string(),
    }),
  ),
});
export type JobInstancesView = z.infer<typeof JobInstancesView>;
