/**
 * Engine instances as the workers last reported them (engine_instances). A killed worker's rows stay
 * until the recovery sweep buries it (about 30 s); those older than STALE_AFTER_MS are not shown.
 */
import type { EngineInstancesView, EngineInstanceView } from '@darkroom/core';
import type { Db } from '@darkroom/db';

/** Reports older than this are from a worker that is gone. */
export const STALE_AFTER_MS = 120_000;

export async function listEngineInstances({ db }: { db: Db }): Promise<EngineInstancesView> {
  const rows = await db.engineInstance.findMany({
    where: { updatedAt: { gt: new Date(Date.now() - STALE_AFTER_MS) } },
    orderBy: [{ provider: 'asc' }, { host: 'asc' }, { workerId: 'asc' }],
  });
  return {
    instances: rows.map((row) => ({
      workerId: row.workerId,
      provider: row.provider,
      host: row.host,
      state: row.state as EngineInstanceView['state'],
      downUntil: row.downUntil?.toISOString() ?? null,
      inFlight: row.inFlight,
      jobIds: row.jobIds,
      engineQueue: row.engineQueue,
      checkedAt: row.updatedAt.toISOString(),
    })),
  };
}
