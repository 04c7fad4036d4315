/**
 * Admins: which engine instance each running image of a job is on, as the worker recorded it when the
 * pool chose one (images.engine_instance). Kept out of JobView, which owners, feeds and webhooks see:
 * the deployment's machines are the operator's business.
 */
import type { JobInstancesView } from '@darkroom/core';
import type { Db } from '@darkroom/db';

export async function listJobInstances({ db, jobId }: { db: Db; jobId: string }): Promise<JobInstancesView> {
  const images = await db.image.findMany({
    where: { jobId, status: 'running', engineInstance: { not: null } },
    select: { index: true, engineInstance: true },
    orderBy: { index: 'asc' },
  });
  return { images: images.map((image) => ({ index: image.index, instance: image.engineInstance! })) };
}
