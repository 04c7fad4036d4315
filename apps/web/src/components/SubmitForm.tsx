import {
  ASPECT_RATIOS,
  JobRequest,
  MAX_IMAGES_PER_JOB,
  MAX_PROMPT_LENGTH,
  PRESET_DEFINITIONS,
  PRESETS,
  PRIORITIES,
  STYLE_PRESETS,
  type JobRequestInput,
} from '@darkroom/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { describeRequestError, fieldErrors, zodIssuesOf } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';


interface FormState {
  preset: (typeof PRESETS)[number];
  prompt: string;
  negativePrompt: string;
  style: string;
  /** '' = the preset's default. */
  aspectRatio: (typeof ASPECT_RATIOS)[number] | '';
  numImages: string;
  priority: (typeof PRIORITIES)[number];
}

const INITIAL: FormState = {
  preset: 'illustration',
  prompt: '',
  negativePrompt: '',
  style: '',
  aspectRatio: '',
  numImages: '4',
  priority: 'normal',
};

function toRequest(form: FormState, idempotencyKey: string): JobRequestInput {
  return {
    preset: form.preset,
    prompt: form.prompt,
    ...(form.negativePrompt.trim() ? { negativePrompt: form.negativePrompt } : {}),
    ...(form.style.trim() ? { style: form.style } : {}),
    ...(form.aspectRatio ? { aspectRatio: form.aspectRatio } : {}),
    numImages: Number(form.numImages),
    priority: form.priority,
    idempotencyKey,
  };
}

/**
 * The submit form. Validates with the same schema as the API. One form fill carries one idempotency
 * key, so a double click or Enter pressed twice creates one job, never two.
 */
export function SubmitForm({ onCreated }: { onCreated: (jobId: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(INITIAL);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const idempotencyKey = useRef(crypto.randomUUID());
  const id = useId();
  const create = useMutation(
    trpc.jobs.create.mutationOptions({
      onSuccess: (job) => {
        onCreated(job.id);
        idempotencyKey.current = crypto.randomUUID();
        setForm((current) => ({ ...current, prompt: '', negativePrompt: '' }));
        void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
        // The balance in the header went down by the job's reservation.
        void queryClient.invalidateQueries({ queryKey: trpc.auth.status.queryKey() });
      },
      onError: (error) => setErrors(fieldErrors(zodIssuesOf(error))),
    }),
  );

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    setErrors(({ [key]: _cleared, ...rest }) => rest);
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    if (create.isPending) return;
    const request = toRequest(form, idempotencyKey.current);
    const parsed = JobRequest.safeParse(request);
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error.issues));
      return;
    }
    setErrors({});
    create.mutate(request);
  }

  const field = (name: keyof FormState) => ({
    id: `${id}-${name}`,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `${id}-${name}-error` : undefined,
  });
  const error = (name: keyof FormState) =>
    errors[name] ? (
      <p className="field-error" id={`${id}-${name}-error`} role="alert">
        {errors[name]}
      </p>
    ) : null;
  const promptLength = form.prompt.trim().length;

  return (
    <form className="submit-form" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor={`${id}-prompt`}>Prompt</label>
        <textarea
          {...field('prompt')}
          rows={4}
          value={form.prompt}
          placeholder="a friendly dragon playing in a garden"
          onChange={(event) => set('prompt', event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) submit(event);
          }}
        />
        <p className={`hint ${promptLength > MAX_PROMPT_LENGTH ? 'over' : ''}`}>
          {promptLength} / {MAX_PROMPT_LENGTH}
        </p>
        {error('prompt')}
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={`${id}-preset`}>Preset</label>
          <select {...field('preset')} value={form.preset} onChange={(event) => set('preset', event.target.value as FormState['preset'])}>
            {PRESETS.map((preset) => (
              <option key={preset} value={preset}>
                {PRESET_DEFINITIONS[preset].label}
              </option>
            ))}
          </select>
          {error('preset')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-aspectRatio`}>Aspect ratio</label>
          <select
            {...field('aspectRatio')}
            value={form.aspectRatio}
            onChange={(event) => set('aspectRatio', event.target.value as FormState['aspectRatio'])}
          >
            <option value="">Preset default ({PRESET_DEFINITIONS[form.preset].aspectRatio})</option>
            {ASPECT_RATIOS.map((ratio) => (
              <option key={ratio} value={ratio}>
                {ratio}
              </option>
            ))}
          </select>
          {error('aspectRatio')}
        </div>
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={`${id}-numImages`}>Number of images</label>
          <input
            {...field('numImages')}
            type="number"
            min={1}
            max={MAX_IMAGES_PER_JOB}
            value={form.numImages}
            onChange={(event) => set('numImages', event.target.value)}
          />
          {error('numImages')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-priority`}>Priority</label>
          <select
            {...field('priority')}
            value={form.priority}
            onChange={(event) => set('priority', event.target.value as FormState['priority'])}
          >
            {PRIORITIES.map((priority) => (
              <option key={priority} value={priority}>
                {priority}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-style`}>Style (optional)</label>
        <input
          {...field('style')}
          list={`${id}-styles`}
          value={form.style}
          placeholder="watercolor, or your own words"
          onChange={(event) => set('style', event.target.value)}
        />
        <datalist id={`${id}-styles`}>
          {Object.keys(STYLE_PRESETS).map((style) => (
            <option key={style} value={style} />
          ))}
        </datalist>
        {error('style')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-negativePrompt`}>Negative prompt (optional)</label>
        <input
          {...field('negativePrompt')}
          value={form.negativePrompt}
          placeholder="text, watermark"
          onChange={(event) => set('negativePrompt', event.target.value)}
        />
        {error('negativePrompt')}
      </div>
      <button type="submit" className="primary" disabled={create.isPending} aria-busy={create.isPending}>
        {create.isPending ? 'Submitting…' : 'Generate'}
      </button>
      {create.isError && !zodIssuesOf(create.error) ? (
        <p className="form-error" role="alert">
          {describeRequestError(create.error)}
        </p>
      ) : null}
    </form>
  );
}
