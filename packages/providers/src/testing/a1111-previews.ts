/**
 * The fake A1111's live preview (`modules/shared_state.py set_current_image`, `modules/progress.py`):
 * a reader asking for it makes a new preview once `showEvery` steps passed since the last one (A1111's
 * `show_progress_every_n_steps`, default 10; -1 never), each with the next `id_live_preview`.
 * `/internal/progress` sends it as a `data:image/png;base64,` URL only when the caller's
 * `id_live_preview` is not the current one; `/sdapi/v1/progress` sends it as bare base64.
 */
import { fakePreviewImage } from './preview-images.js';

export interface LivePreviewState {
  step: number;
  steps: number;
  previewStep: number;
  previewId: number;
  preview: Buffer | null;
}

export function newLivePreview(steps: number): LivePreviewState {
  return { step: 0, steps, previewStep: 0, previewId: -1, preview: null };
}

/** set_current_image: a new preview when enough steps passed. */
export async function setCurrentImage(state: LivePreviewState, showEvery: number): Promise<void> {
  if (showEvery === -1 || state.step - state.previewStep < showEvery) return;
  state.previewStep = state.step;
  state.preview = await fakePreviewImage(state.step, state.steps, 'png');
  state.previewId++;
}

/** The live_preview fields of an active task's `/internal/progress` answer. */
export async function internalLivePreview(
  state: LivePreviewState,
  request: { id_live_preview?: unknown; live_preview?: unknown },
  showEvery: number,
): Promise<{ live_preview: string | null; id_live_preview: number }> {
  const known = typeof request.id_live_preview === 'number' ? request.id_live_preview : -1;
  // ProgressRequest.live_preview defaults to true.
  if (request.live_preview === false) return { live_preview: null, id_live_preview: known };
  await setCurrentImage(state, showEvery);
  if (state.previewId === known || !state.preview) return { live_preview: null, id_live_preview: known };
  return {
    live_preview: `data:image/png;base64,${state.preview.toString('base64')}`,
    id_live_preview: state.previewId,
  };
}
