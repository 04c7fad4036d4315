/**
 * What an A1111 instance says about our task while its blocking txt2img/img2img call runs
 * (`modules/progress.py`, `modules/api/api.py`): `/internal/progress` with the task id we forced tells
 * whether it waits for the queue lock or runs, and carries the live preview (a data URL, sent again
 * only when its `id_live_preview` changed); `/sdapi/v1/progress` gives the sampler step. A server
 * without `/internal/progress` (old builds, some forks) is read from `/sdapi/v1/progress` alone,
 * `current_image` included.
 */
import { tryJson } from '../http/json.js';
import { pause, type VendorHttp } from '../http/vendor-http.js';
import { bytesOfBase64, previewOf } from '../engines/preview.js';
import type { GenerateRequest } from '../provider.js';
import { A1111InternalProgress, A1111Progress } from './wire.js';

export type TaskState = 'queued' | 'active' | 'unknown';

export interface TaskProgress {
  state: TaskState;
  /** False when the server has no `/internal/progress`. */
  internal: boolean;
  livePreview?: string;
  idLivePreview?: number;
}

/** Where `taskId` is on the instance: `/internal/progress` is not behind --api-auth; old servers lack it. */
export async function readTask(
  http: VendorHttp,
  url: string,
  taskId: string,
  preview: { want: boolean; known: number },
  signal?: AbortSignal,
): Promise<TaskProgress> {
  const response = await http.request({
    url: `${url}/internal/progress`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id_task: taskId, id_live_preview: preview.known, live_preview: preview.want }),
    timeoutMs: 5000,
    ...(signal ? { signal } : {}),
  });
  if (response.status !== 200) return { state: 'unknown', internal: false };
  const parsed = A1111InternalProgress.safeParse(tryJson(response.body));
  if (!parsed.success) return { state: 'unknown', internal: false };
  const body = parsed.data;
  const state: TaskState = body.active ? 'active' : body.queued ? 'queued' : 'unknown';
  return {
    state,
    internal: true,
    ...(body.live_preview ? { livePreview: body.live_preview } : {}),
    ...(typeof body.id_live_preview === 'number' ? { idLivePreview: body.id_live_preview } : {}),
  };
}

/** Reads where our task is, its step and its live preview while the blocking call runs; stops when `done` aborts. */
export async function watchProgress(options: {
  http: VendorHttp;
  headers: Record<string, string>;
  pollIntervalMs: number;
  url: string;
  taskId: string;
  request: GenerateRequest;
  done: AbortSignal;
}) {
  const { http, headers, pollIntervalMs, url, taskId, request, done } = options;
  let said = '';
  const tell = (state: 'queued' | 'running') => {
    if (said !== state) request.onVendorStatus?.({ state });
    said = state;
  };
  const wantPreview = request.onPreview !== undefined;
  let known = -1;
  while (!done.aborted) {
    await pause(pollIntervalMs, done, http.error).catch(() => {});
    if (done.aborted) return;
    const task = await readTask(http, url, taskId, { want: wantPreview, known }, done).catch((): TaskProgress => ({
      state: 'unknown',
      internal: false,
    }));
    if (task.state === 'queued') tell('queued');
    // Not ours yet (queued), or already over: what /sdapi/v1/progress says is someone else's job.
    if (task.state === 'queued' || (task.internal && task.state !== 'active') || done.aborted) continue;
    // Without /internal/progress the only preview is /sdapi/v1/progress's current_image.
    const withImage = wantPreview && !task.internal;
    const response = await http
      .request({
        url: `${url}/sdapi/v1/progress?skip_current_image=${withImage ? 'false' : 'true'}`,
        headers,
        timeoutMs: 5000,
        signal: done,
      })
      .catch(() => null);
    if (!response || response.status !== 200 || done.aborted) continue;
    const parsed = A1111Progress.safeParse(tryJson(response.body));
    if (!parsed.success || parsed.data.state.job_count === 0) continue;
    tell('running');
    const { sampling_step: value, sampling_steps: max } = parsed.data.state;
    const step = max > 0 ? { value, max } : undefined;
    if (step) request.onProgress?.(step);
    const encoded = task.internal ? task.livePreview : parsed.data.current_image;
    const bytes = encoded ? bytesOfBase64(encoded) : undefined;
    const preview = bytes ? previewOf(bytes, step) : undefined;
    if (preview) {
      request.onPreview?.(preview);
      // Only a preview we could read is acknowledged: the server sends the current one again otherwise.
      if (task.idLivePreview !== undefined) known = task.idLivePreview;
    }
  }
}
