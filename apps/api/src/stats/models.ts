/**
 * Popular models: stored images per provider and model, with the average time the provider call took
 * per image (`images.duration_ms`). An image's own provider and model win over the job's (a fallback,
 * or the model the engine reported).
 */
import { Prisma, type Db } from '@darkroom/db';

const TOP_MODELS = 10;

export async function topModelsSince(db: Db, userId: string | null, from: Date) {
  const owner = userId === null ? Prisma.sql`true` : Prisma.sql`j.user_id = ${userId}::uuid`;
  const rows = await db.$queryRaw<{ provider: string; model: string | null; images: bigint; avg_ms: number | null }[]>`
    select coalesce(i.provider, j.provider) as provider, coalesce(i.model, j.model) as model,
      count(*) as images, avg(i.duration_ms)::float8 as avg_ms
    from images i join jobs j on j.id = i.job_id
    where ${owner} and j.created_at >= ${from} and i.status = 'succeeded'
    group by 1, 2 order by count(*) desc, 1, 2 nulls first limit ${TOP_MODELS}`;
  return rows.map((row) => ({
    provider: row.provider,
    model: row.model,
    images: Number(row.images),
    averageImageMs: row.avg_ms === null ? null : Math.round(row.avg_ms),
  }));
}
