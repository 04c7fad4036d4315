import { ProviderError } from '../errors.js';
import type { ProviderCatalog } from '../provider.js';
import { instanceUnreachable } from './pool.js';

/**
 * The union of every instance's catalog, sorted: a job may name what any instance has (an instance
 * without it refuses the image, which then fails invalid_request naming what that instance has).
 * Instances that do not answer are left out; with none answering it fails `transient`.
 */
export async function catalogOfInstances(
  engine: string,
  urls: readonly string[],
  read: (url: string) => Promise<ProviderCatalog>,
): Promise<ProviderCatalog> {
  const results = await Promise.allSettled(urls.map(read));
  const answered = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (answered.length === 0) {
    const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as unknown;
    if (first instanceof ProviderError && !instanceUnreachable(first)) throw first;
    throw new ProviderError('transient', `${engine}: no instance answered for its catalog`);
  }
  const union = (pick: (c: ProviderCatalog) => string[]) => [...new Set(answered.flatMap(pick))].sort();
  return { models: union((c) => c.models), loras: union((c) => c.loras), samplers: union((c) => c.samplers) };
}
