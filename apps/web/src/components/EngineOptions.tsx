/**
 * The create form's choices for self-hosted engines, fed by `models.list` (what the workers last read
 * from the engines): a model picker (a datalist on the form's model field, so a name the list lacks can
 * still be typed), a LoRA picker with weights, and steps / guidance / sampler under their own disclosure. Shown
 * only for providers that take them; `engineOptionsRequest` turns the choice into JobRequest fields.
 */
import {
  ENGINE_OPTION_PROVIDERS,
  GUIDANCE_MAX,
  GUIDANCE_MIN,
  LORA_WEIGHT_MAX,
  LORA_WEIGHT_MIN,
  MAX_LORAS,
  STEPS_MAX,
  STEPS_MIN,
  type JobRequestInput,
  type ProviderName,
} from '@darkroom/core';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTRPC } from '../trpc.js';

export interface EngineChoice {
  loras: { name: string; weight: number }[];
  /** '' = the engine's or template's default. */
  steps: string;
  guidance: string;
  sampler: string;
}

export const NO_ENGINE_CHOICE: EngineChoice = { loras: [], steps: '', guidance: '', sampler: '' };

/** The JobRequest fields a choice sets, only those `provider` takes; blanks are left to the engine. */
export function engineOptionsRequest(
  provider: ProviderName,
  choice: EngineChoice | undefined,
): Pick<JobRequestInput, 'loras' | 'steps' | 'guidance' | 'sampler'> {
  if (!choice) return {};
  const takes = (field: keyof typeof ENGINE_OPTION_PROVIDERS) => ENGINE_OPTION_PROVIDERS[field].includes(provider);
  return {
    ...(takes('loras') && choice.loras.length > 0 ? { loras: choice.loras } : {}),
    ...(takes('steps') && choice.steps.trim() ? { steps: Number(choice.steps) } : {}),
    ...(takes('guidance') && choice.guidance.trim() ? { guidance: Number(choice.guidance) } : {}),
    ...(takes('sampler') && choice.sampler.trim() ? { sampler: choice.sampler.trim() } : {}),
  };
}

export function EngineOptions({
  provider,
  modelListId,
  value,
  onChange,
}: {
  provider: ProviderName;
  /** The id of the datalist the form's model field names in its `list`. */
  modelListId: string;
  value: EngineChoice;
  onChange: (next: EngineChoice) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const models = useQuery(trpc.models.list.queryOptions(undefined, { staleTime: 60_000 }));
  const catalog = models.data?.providers.find((entry) => entry.provider === provider);
  const [lora, setLora] = useState('');
  if (!ENGINE_OPTION_PROVIDERS.loras.includes(provider)) return <datalist id={modelListId} />;
  const set = <K extends keyof EngineChoice>(key: K, next: EngineChoice[K]) => onChange({ ...value, [key]: next });
  const available = (catalog?.loras ?? []).filter((name) => !value.loras.some((chosen) => chosen.name === name));

  return (
    <div className="engine-options">
      <datalist id={modelListId}>
        {(catalog?.models ?? []).map((model) => (
          <option key={model} value={model} />
        ))}
      </datalist>
      <div className="field">
        <label htmlFor={`${id}-lora`}>LoRAs (at most {MAX_LORAS})</label>
        {value.loras.map((chosen, index) => (
          <div className="row" key={chosen.name}>
            <span>{chosen.name}</span>
            <input
              type="number"
              aria-label={`weight of ${chosen.name}`}
              min={LORA_WEIGHT_MIN}
              max={LORA_WEIGHT_MAX}
              step={0.05}
              value={chosen.weight}
              onChange={(event) =>
                set(
                  'loras',
                  value.loras.map((item, at) =>
                    at === index ? { ...item, weight: Number(event.target.value) } : item,
                  ),
                )
              }
            />
            <button
              type="button"
              onClick={() =>
                set(
                  'loras',
                  value.loras.filter((_, at) => at !== index),
                )
              }
            >
              Remove
            </button>
          </div>
        ))}
        {value.loras.length < MAX_LORAS && (
          <div className="row">
            <select id={`${id}-lora`} value={lora} onChange={(event) => setLora(event.target.value)}>
              <option value="">{available.length > 0 ? 'choose a LoRA' : 'no LoRAs listed by the engine'}</option>
              {available.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            <button
              type="button"
              disabled={!lora}
              onClick={() => {
                set('loras', [...value.loras, { name: lora, weight: 1 }]);
                setLora('');
              }}
            >
              Add
            </button>
          </div>
        )}
      </div>
      <details>
        <summary>Steps, guidance and sampler</summary>
        <div className="row">
          <div className="field">
            <label htmlFor={`${id}-steps`}>Steps</label>
            <input
              id={`${id}-steps`}
              type="number"
              min={STEPS_MIN}
              max={STEPS_MAX}
              placeholder="default"
              value={value.steps}
              onChange={(event) => set('steps', event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-guidance`}>Guidance</label>
            <input
              id={`${id}-guidance`}
              type="number"
              min={GUIDANCE_MIN}
              max={GUIDANCE_MAX}
              step={0.5}
              placeholder="default"
              value={value.guidance}
              onChange={(event) => set('guidance', event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-sampler`}>Sampler</label>
            <select id={`${id}-sampler`} value={value.sampler} onChange={(event) => set('sampler', event.target.value)}>
              <option value="">default</option>
              {(catalog?.samplers ?? []).map((sampler) => (
                <option key={sampler} value={sampler}>
                  {sampler}
                </option>
              ))}
            </select>
          </div>
        </div>
      </details>
    </div>
  );
}
