/**
 * Health checks for a pool: one cheap GET per instance, with a short timeout. An instance that answers
 * anything below 500 is up (a 401 from a proxy is still a running server: its jobs fail `auth`, which
 * the admin view and the job say); one that does not answer, or answers 5xx, is taken out for the
 * pool's `downForMs`, so the next image goes elsewhere without first failing on it.
 */
import { tryJson } from '../http/json.js';
import type { VendorHttp } from '../http/vendor-http.js';
import type { EngineInstanceState } from '../provider.js';
import type { EnginePool } from './pool.js';

export async function checkPoolHealth(
  pool: EnginePool,
  http: VendorHttp,
  urls: readonly string[],
  path: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
  /** Reads the engine's own queue length from a 200 answer to `path`, where the engine tells it. */
  queueOf?: (body: unknown) => number | null,
): Promise<EngineInstanceState[]> {
  const queues = new Map<string, number | null>();
  await Promise.all(
    urls.map(async (url) => {
      const response = await http
        .request({ url: `${url}${path}`, headers, timeoutMs: 5000, ...(signal ? { signal } : {}) })
        .catch(() => null);
      if (signal?.aborted) return;
      if (response && response.status < 500) pool.markUp(url);
      else pool.markDown(url);
      if (queueOf && response?.status === 200) queues.set(url, queueOf(tryJson(response.body)));
    }),
  );
  return pool
    .states()
    .map(({ url, busy, downUntil, tags }) => ({ url, busy, downUntil, jobIds: tags, queue: queues.get(url) ?? null }));
}
