// Over 300 lines on purpose: one form whose single and batch modes share every field, check and price.
import {
  ASPECT_RATIOS,
  BatchRequest,
  JobRequest,
  MAX_BATCH_SIZE,
  MAX_IMAGES_PER_JOB,
  MAX_NEGATIVE_PROMPT_LENGTH,
  MAX_MODEL_LENGTH,
  MAX_PROMPT_LENGTH,
  MODEL_PROVIDERS,
  PRESET_DEFINITIONS,
  PRESETS,
  presetRolesMissing,
  pricePerImage,
  PRIORITIES,
  PROVIDER_NAMES,
  QUALITIES,
  STYLE_PRESETS,
  type JobRequestInput,
  type JobView,
} from '@darkroom/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { describeRequestError, fieldErrors, zodIssuesOf } from '../lib/errors.js';
import { plainIssue, plural } from '../lib/plain-words.js';
import { loadRecentPrompts, rememberPrompt, stepRecall } from '../lib/prompt-recall.js';
import { useTRPC } from '../trpc.js';
import { NO_INPUTS, providerProblem, toJobInputs, type InputsState } from '../lib/inputs-form.js';
import { QuoteLine } from './QuoteLine.js';
import { EngineOptions, engineOptionsRequest, NO_ENGINE_CHOICE, type EngineChoice } from './EngineOptions.js';
import { InputsPanel } from './InputsPanel.js';
import { PresetSwatch } from './PresetSwatch.js';

export interface FormState {
  preset: (typeof PRESETS)[number];
  prompt: string;
  negativePrompt: string;
  style: string;
  /** '' = the preset's default. */
  aspectRatio: (typeof ASPECT_RATIOS)[number] | '';
  numImages: string;
  priority: (typeof PRIORITIES)[number];
  provider: (typeof PROVIDER_NAMES)[number];
  /** A checkpoint, for self-hosted engines only; '' = the engine's default. */
  model: string;
  /** '' = the provider's default. */
  quality: (typeof QUALITIES)[number] | '';
  /** One job per line of `prompt` (jobs.createBatch) instead of one job. */
  several: boolean;
}

const INITIAL: FormState = {
  preset: 'illustration',
  prompt: '',
  negativePrompt: '',
  style: '',
  aspectRatio: '',
  numImages: '4',
  priority: 'normal',
  provider: 'local',
  model: '',
  quality: '',
  several: false,
};

/** The fields under "Advanced"; a remix that sets one opens it. */
const ADVANCED_FIELDS = ['aspectRatio', 'provider', 'model', 'priority', 'quality', 'style', 'negativePrompt'] as const;

/** A submit this soon after a success, with the form unchanged, is the same press repeated. */
const REPEAT_WINDOW_MS = 3000;

/** A job to start again from: its parameters fill the form, and `nonce` makes the same job remixable twice. */
export interface Remix {
  job: JobView;
  nonce: number;
}

function fromJob(job: JobView): FormState {
  return {
    preset: job.preset,
    prompt: job.prompt,
    negativePrompt: job.negativePrompt ?? '',
    style: job.style ?? '',
    aspectRatio: job.aspectRatio,
    numImages: String(job.numImages),
    priority: job.priority,
    provider: job.provider,
    model: '',
    quality: job.quality ?? '',
    several: false,
  };
}

/** The JobRequest a filled form sends; a model only for providers that take one. */
export function toRequest(
  form: FormState,
  prompt: string,
  idempotencyKey: string,
  engine?: EngineChoice,
  inputs?: InputsState,
): JobRequestInput {
  const jobInputs = inputs ? toJobInputs(inputs) : undefined;
  return {
    preset: form.preset,
    prompt,
    ...(form.negativePrompt.trim() ? { negativePrompt: form.negativePrompt } : {}),
    ...(form.style.trim() ? { style: form.style } : {}),
    ...(form.aspectRatio ? { aspectRatio: form.aspectRatio } : {}),
    numImages: Number(form.numImages),
    priority: form.priority,
    provider: form.provider,
    ...(form.model.trim() && MODEL_PROVIDERS.includes(form.provider) ? { model: form.model } : {}),
    ...(form.quality ? { quality: form.quality } : {}),
    ...engineOptionsRequest(form.provider, engine),
    ...(jobInputs ? { inputs: jobInputs } : {}),
    idempotencyKey,
  };
}

/** The prompts of a "generate several" submit: one per non-empty line. */
export function promptLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/**
 * The submit form. Validates with the same schema as the API. One form fill carries one idempotency
 * key (a batch: one per line, derived from it), so a double click or Enter pressed twice creates the
 * jobs once, never twice; the button is also disabled while the submit is in flight.
 */
export function SubmitForm({ onCreated, remix }: { onCreated: (jobIds: string[]) => void; remix: Remix | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(INITIAL);
  const [errors, setErrorsNow] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);
  // Each refusal (here or from the API) moves focus to the first field in trouble, in the form's order.
  const [refusals, setRefusals] = useState(0);
  useEffect(() => {
    if (refusals > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [refusals]);
  const setErrors = (next: Record<string, string> | ((current: Record<string, string>) => Record<string, string>)) => {
    setErrorsNow(next);
    if (typeof next === 'object' && Object.keys(next).length > 0) setRefusals((n) => n + 1);
  };
  const [engine, setEngine] = useState<EngineChoice>(NO_ENGINE_CHOICE);
  const [inputs, setInputsNow] = useState<InputsState>(NO_INPUTS);
  // Prompt, preset, count and the drop zone up front; the rest folds away so Generate stays in view.
  const [advanced, setAdvanced] = useState(false);
  const idempotencyKey = useRef(crypto.randomUUID());
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const prices = useQuery(trpc.credits.prices.queryOptions(undefined, { staleTime: 60_000 }));
  const status = useQuery(trpc.auth.status.queryOptions());
  const balance = status.data?.account?.creditBalance ?? null;

  useEffect(() => {
    if (!remix) return;
    const next = fromJob(remix.job);
    setForm(next);
    setAdvanced(ADVANCED_FIELDS.some((name) => next[name] !== INITIAL[name]));
    setErrors({});
    idempotencyKey.current = crypto.randomUUID();
    promptRef.current?.focus();
  }, [remix]);

  // The prompt stays after a submit, to tweak and send again; it also goes into the recall list.
  const sentPrompt = useRef('');
  const recall = useRef(-1);
  const [announcement, setAnnouncement] = useState('');
  // The prompt stays, so a second press could send the same form again: the key that made the job is
  // kept until the form changes or a moment has passed, so a double click or Enter pressed twice right
  // after a success names the same job; pressing Generate again later makes a new one.
  const keyUsedAt = useRef<number | null>(null);
  const done = (jobIds: string[]) => {
    onCreated(jobIds);
    keyUsedAt.current = Date.now();
    for (const line of form.several ? promptLines(sentPrompt.current) : [sentPrompt.current]) rememberPrompt(line);
    recall.current = -1;
    setAnnouncement(`Started ${plural(jobIds.length, 'job')}: see Jobs.`);
    void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
    // The balance in the header went down by the jobs' reservation.
    void queryClient.invalidateQueries({ queryKey: trpc.auth.status.queryKey() });
  };
  const create = useMutation(
    trpc.jobs.create.mutationOptions({
      onSuccess: (job) => done([job.id]),
      onError: (error) => setErrors(fieldErrors(zodIssuesOf(error))),
    }),
  );
  const createBatch = useMutation(
    trpc.jobs.createBatch.mutationOptions({
      // The cards read top to bottom in the order of the lines.
      onSuccess: (batch) => done(batch.jobs.map((job) => job.id)),
      onError: (error) => setErrors(fieldErrors(zodIssuesOf(error))),
    }),
  );
  const pending = create.isPending || createBatch.isPending;
  const failure = form.several ? createBatch : create;

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    if (keyUsedAt.current !== null) {
      idempotencyKey.current = crypto.randomUUID();
      keyUsedAt.current = null;
    }
    setForm((current) => ({ ...current, [key]: value }));
    setErrors(({ [key]: _cleared, ...rest }) => rest);
  };

  const setInputs = (next: (current: InputsState) => InputsState) => {
    if (keyUsedAt.current !== null) {
      idempotencyKey.current = crypto.randomUUID();
      keyUsedAt.current = null;
    }
    setInputsNow(next);
    setErrors(({ provider: _cleared, ...rest }) => rest);
  };

  const lines = form.several ? promptLines(form.prompt) : [form.prompt];
  // The API prices a submit with the same table and function.
  const price = prices.data
    ? pricePerImage(prices.data.prices, {
        provider: form.provider,
        quality: form.quality || null,
        model: form.model.trim() || null,
      })
    : null;
  const count = Number(form.numImages);
  const cost = price !== null && Number.isInteger(count) && count > 0 ? price * count * lines.length : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (pending) return;
    if (keyUsedAt.current !== null && Date.now() - keyUsedAt.current > REPEAT_WINDOW_MS) {
      idempotencyKey.current = crypto.randomUUID();
      keyUsedAt.current = null;
    }
    const [missingRole] = presetRolesMissing(form.preset, toJobInputs(inputs)?.references);
    if (missingRole) {
      setErrors({
        preset: `${PRESET_DEFINITIONS[form.preset].label} is made from a ${missingRole} image: add one with “Add the ${missingRole} image…”.`,
      });
      return;
    }
    const cannot = providerProblem(form.provider, inputs);
    if (cannot) {
      setAdvanced(true);
      setErrors({ provider: cannot });
      return;
    }
    if (form.several) {
      const requests = lines.map((prompt, index) =>
        toRequest(form, prompt, `${idempotencyKey.current}:${index}`, engine, inputs),
      );
      const parsed = BatchRequest.safeParse({ requests });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path[0] === 'requests' && typeof issue.path[2] === 'string' ? issue.path[2] : 'prompt';
        setErrors({
          [field]:
            requests.length === 0
              ? 'Write at least one prompt, one per line.'
              : requests.length > MAX_BATCH_SIZE
                ? `Write at most ${MAX_BATCH_SIZE} prompts (one per line).`
                : plainIssue({ ...issue, path: [field] }),
        });
        return;
      }
      setErrors({});
      sentPrompt.current = form.prompt;
      createBatch.mutate({ requests });
      return;
    }
    const request = toRequest(form, form.prompt, idempotencyKey.current, engine, inputs);
    const parsed = JobRequest.safeParse(request);
    if (!parsed.success) {
      const found = fieldErrors(parsed.error.issues);
      if (Object.keys(found).some((name) => (ADVANCED_FIELDS as readonly string[]).includes(name))) setAdvanced(true);
      setErrors(found);
      return;
    }
    setErrors({});
    sentPrompt.current = form.prompt;
    create.mutate(request);
  }

  const field = (name: keyof FormState, hint?: string) => ({
    id: `${id}-${name}`,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby':
      [errors[name] ? `${id}-${name}-error` : null, hint ?? null].filter(Boolean).join(' ') || undefined,
  });
  const error = (name: keyof FormState) =>
    errors[name] ? (
      <p className="field-error" id={`${id}-${name}-error`} role="alert">
        {errors[name]}
      </p>
    ) : null;
  const promptLength = form.several ? Math.max(0, ...lines.map((line) => line.length)) : form.prompt.trim().length;

  return (
    <form className="submit-form" onSubmit={submit} noValidate aria-label="New images" ref={formRef}>
      <fieldset className="preset-picker">
        <legend>Preset</legend>
        {PRESETS.map((preset) => (
          <label key={preset} className="preset-option" data-testid={`preset-${preset}`}>
            <input
              type="radio"
              name={`${id}-preset`}
              value={preset}
              checked={form.preset === preset}
              onChange={() => set('preset', preset)}
            />
            <PresetSwatch preset={preset} />
            <span>{PRESET_DEFINITIONS[preset].label}</span>
          </label>
        ))}
      </fieldset>
      <div className="field">
        <div className="label-row">
          <label htmlFor={`${id}-prompt`}>{form.several ? 'Prompts, one per line' : 'Prompt'}</label>
          <label className="toggle">
            <input type="checkbox" checked={form.several} onChange={(event) => set('several', event.target.checked)} />{' '}
            Generate several
          </label>
        </div>
        <textarea
          {...field('prompt', `${id}-prompt-count`)}
          ref={promptRef}
          rows={form.several ? 6 : 3}
          value={form.prompt}
          placeholder={
            form.several
              ? 'a fox in the snow\na heron at dawn\na lighthouse in a storm'
              : 'a friendly dragon playing in a garden'
          }
          onChange={(event) => {
            recall.current = -1;
            set('prompt', event.target.value);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) return submit(event);
            // Up and down recall earlier prompts while the field is empty or shows a recalled one.
            if ((event.key !== 'ArrowUp' && event.key !== 'ArrowDown') || event.shiftKey || form.several) return;
            const recent = loadRecentPrompts();
            const showing = recall.current === -1 ? form.prompt === '' : form.prompt === recent[recall.current];
            if (!showing) return;
            const next = stepRecall(recent, recall.current, event.key === 'ArrowUp' ? 1 : -1);
            if (!next) return;
            event.preventDefault();
            recall.current = next.at;
            set('prompt', next.prompt);
          }}
        />
        <p
          id={`${id}-prompt-count`}
          className={`hint ${promptLength > MAX_PROMPT_LENGTH ? 'over' : ''}`}
          data-testid="prompt-count"
        >
          {form.several ? `${lines.length} / ${MAX_BATCH_SIZE} prompts · longest ` : ''}
          {promptLength} / {MAX_PROMPT_LENGTH} characters
        </p>
        {error('prompt')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-numImages`}>Number of images{form.several ? ' per prompt' : ''}</label>
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
      <InputsPanel
        value={inputs}
        onChange={setInputs}
        provider={form.provider}
        needs={PRESET_DEFINITIONS[form.preset].roles}
      />
      {error('preset')}
      <details className="advanced" open={advanced} onToggle={(event) => setAdvanced(event.currentTarget.open)}>
        <summary>Advanced</summary>
        <div className="field">
          <label htmlFor={`${id}-aspectRatio`}>Aspect ratio</label>
          <select
            {...field('aspectRatio')}
            value={form.aspectRatio}
            onChange={(event) => set('aspectRatio', event.target.value as FormState['aspectRatio'])}
          >
            <option value="">Default ({PRESET_DEFINITIONS[form.preset].aspectRatio})</option>
            {ASPECT_RATIOS.map((ratio) => (
              <option key={ratio} value={ratio}>
                {ratio}
              </option>
            ))}
          </select>
          {error('aspectRatio')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-provider`}>Provider</label>
          <select
            {...field('provider')}
            value={form.provider}
            onChange={(event) => set('provider', event.target.value as FormState['provider'])}
          >
            {(prices.data?.providers ?? PROVIDER_NAMES.map((provider) => ({ provider, creditsPerImage: null }))).map(
              (entry) => (
                <option key={entry.provider} value={entry.provider}>
                  {entry.provider}
                  {entry.creditsPerImage !== null
                    ? ` (${entry.creditsPerImage} credit${entry.creditsPerImage === 1 ? '' : 's'} / image)`
                    : ''}
                </option>
              ),
            )}
          </select>
          {error('provider')}
        </div>
        {MODEL_PROVIDERS.includes(form.provider) && (
          <div className="field">
            <label htmlFor={`${id}-model`}>Model (optional checkpoint, e.g. sd_xl_base_1.0.safetensors)</label>
            <input
              {...field('model')}
              maxLength={MAX_MODEL_LENGTH}
              value={form.model}
              placeholder="the engine's default"
              list={`${id}-models`}
              onChange={(event) => set('model', event.target.value)}
            />
            {error('model')}
            <EngineOptions provider={form.provider} modelListId={`${id}-models`} value={engine} onChange={setEngine} />
          </div>
        )}
        <div className="row">
          <div className="field">
            <label htmlFor={`${id}-priority`}>Priority</label>
            <select
              {...field('priority')}
              value={form.priority}
              onChange={(event) => set('priority', event.target.value as FormState['priority'])}
            >
              {/* Only the priorities this account may ask for (admins: all); a remixed job keeps its own. */}
              {PRIORITIES.filter(
                (priority) => priority === form.priority || !prices.data || prices.data.priorities.includes(priority),
              ).map((priority) => (
                <option key={priority} value={priority}>
                  {priority}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-quality`}>Quality</label>
            <select
              {...field('quality')}
              value={form.quality}
              onChange={(event) => set('quality', event.target.value as FormState['quality'])}
            >
              <option value="">Provider default</option>
              {QUALITIES.map((quality) => (
                <option key={quality} value={quality}>
                  {quality}
                  {prices.data
                    ? ` (${pricePerImage(prices.data.prices, { provider: form.provider, quality })}/image)`
                    : ''}
                </option>
              ))}
            </select>
            {error('quality')}
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
            maxLength={MAX_NEGATIVE_PROMPT_LENGTH}
            placeholder="text, watermark"
            onChange={(event) => set('negativePrompt', event.target.value)}
          />
          {error('negativePrompt')}
        </div>
      </details>
      <p className="cost" data-testid="cost" aria-live="polite">
        {cost !== null ? (
          <>
            Costs <strong>{cost}</strong> credit{cost === 1 ? '' : 's'}
            {balance !== null ? ` · you have ${balance}` : ''}
            {balance !== null && cost > balance ? <span className="over"> (not enough)</span> : null}
          </>
        ) : (
          'Cost: …'
        )}
      </p>
      <QuoteLine request={form.several ? null : toRequest(form, form.prompt, idempotencyKey.current, engine, inputs)} />
      <button type="submit" className="primary" disabled={pending} aria-busy={pending}>
        {pending
          ? 'Submitting…'
          : form.several
            ? `Generate ${lines.length} job${lines.length === 1 ? '' : 's'}`
            : 'Generate'}
      </button>
      <p className="muted" role="status" data-testid="submit-announcement">
        {announcement}
      </p>
      {failure.isError && !zodIssuesOf(failure.error) ? (
        <p className="form-error" role="alert" data-testid="submit-error">
          {describeRequestError(failure.error)}
        </p>
      ) : null}
    </form>
  );
}
