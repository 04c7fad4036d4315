import type { GalleryImageView, JobView } from '@darkroom/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { describeRequestError } from '../lib/errors.js';
import { uploadAsset, UploadError } from '../lib/upload.js';
import { useTRPC } from '../trpc.js';
import { MaskEditor } from './MaskEditor.js';

/**
 * What the image view makes from one result: Vary, Upscale (2x, 4x), Edit region (the mask brush on
 * this image and what to put there), each a new job recorded with this image as its parent, and "Use as
 * input", which takes it to the generate form.
 */
export function ImageInputActions({ image }: { image: GalleryImageView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const id = useId();
  // One key per press of an action, so a double click makes the job once.
  const key = useRef(crypto.randomUUID());
  const started = (job: JobView) => {
    key.current = crypto.randomUUID();
    void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
    void navigate(`/jobs/${job.id}`);
  };
  const vary = useMutation(trpc.jobs.vary.mutationOptions({ onSuccess: started }));
  const upscale = useMutation(trpc.jobs.upscale.mutationOptions({ onSuccess: started }));
  const editRegion = useMutation(trpc.jobs.editRegion.mutationOptions({ onSuccess: started }));
  const [editing, setEditing] = useState(false);
  const [prompt, setPrompt] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const pending = vary.isPending || upscale.isPending || editRegion.isPending || saving;
  const failure = vary.error ?? upscale.error ?? editRegion.error;

  const edit = async (mask: Blob) => {
    if (!prompt.trim()) {
      setProblem('Say what to put in the painted area first.');
      document.getElementById(`${id}-prompt`)?.focus();
      return;
    }
    setProblem(null);
    setSaving(true);
    try {
      const asset = await uploadAsset(mask, 'mask.png');
      editRegion.mutate({ imageId: image.id, maskAssetId: asset.id, prompt, idempotencyKey: key.current });
    } catch (error) {
      setProblem(error instanceof UploadError ? error.message : 'The mask could not be uploaded.');
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="image-input-actions" data-testid="image-input-actions">
      <button
        type="button"
        disabled={pending}
        onClick={() => vary.mutate({ imageId: image.id, idempotencyKey: key.current })}
      >
        Vary
      </button>
      <button
        type="button"
        disabled={pending}
        onClick={() => upscale.mutate({ imageId: image.id, factor: 2, idempotencyKey: key.current })}
      >
        Upscale 2×
      </button>
      <button
        type="button"
        disabled={pending}
        onClick={() => upscale.mutate({ imageId: image.id, factor: 4, idempotencyKey: key.current })}
      >
        Upscale 4×
      </button>
      <button type="button" aria-expanded={editing} onClick={() => setEditing((open) => !open)}>
        Edit region
      </button>
      <Link className="button-link" to={`/?input=${image.id}`}>
        Use as input
      </Link>
      {editing ? (
        <div className="image-edit-region">
          <div className="field">
            <label htmlFor={`${id}-prompt`}>What to put in the painted area</label>
            <input
              id={`${id}-prompt`}
              value={prompt}
              placeholder="a red balloon"
              onChange={(event) => setPrompt(event.target.value)}
            />
          </div>
          <MaskEditor
            picture={{ ...image, name: `image ${image.index + 1}` }}
            busy={pending}
            saveLabel="Make the edit"
            onSave={(mask) => void edit(mask)}
            onCancel={() => setEditing(false)}
          />
        </div>
      ) : null}
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
      {failure ? (
        <p className="form-error" role="alert">
          {describeRequestError(failure)}
        </p>
      ) : null}
    </div>
  );
}
