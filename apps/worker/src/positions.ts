/**
 * Queue-position events (`position` on the timeline, `job.position` to webhooks that list it), written
 * by every worker once a second; an advisory lock lets one pass run at a time (@darkroom/db's
 * recordQueuePositions says how they are throttled).
 */
import { recordQueuePositions, type Db } from '@darkroom/db';
import type { Logger } from 'pino';

export interface PositionEvents {
  stop(): Promise<void>;
}

export function startPositionEvents({
  db,
  log,
  intervalMs,
}: {
  db: Db;
  log: Logger;
  intervalMs: number;
}): PositionEvents {
  let stopped = false;
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    // A pass slower than the interval is not stacked on: the next tick after it ends runs.
    if (stopped || running) return;
    running = recordQueuePositions(db)
      .catch((error: unknown) =>
        // A missed pass costs one interval of positions; the next one catches up.
        log.warn({ err: error }, 'could not record queue positions'),
      )
      .finally(() => (running = null));
  }, intervalMs);
  timer.unref?.();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
