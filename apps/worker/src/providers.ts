/**
 * Which adapters this worker runs, built from its configuration: only the enabled providers, each
 * with its key, base URL, model, price and timeout. Keys leave their Secret only here, into the adapter.
 */
import type { ProviderName } from '@darkroom/core';
import { createProvider, loadWorkflowTemplates, type ImageProvider, type ProvidersConfig } from '@darkroom/providers';
import type { WorkerConfig } from './env.js';

export interface ProviderRegistry {
  /**
   * The adapter for a provider enabled here; throws for any other (the pipeline checks `isEnabled`
   * first and fails such a job `provider_unavailable`: no other provider stands in at its price).
   */
  providerFor(name: string): ImageProvider;
  /** Whether `name` is enabled on this worker. */
  isEnabled(name: string): boolean;
  /** The fallback order, for when an image's provider is down. */
  readonly fallbackOrder: readonly ProviderName[];
}

export function providersConfigOf(config: WorkerConfig): ProvidersConfig {
  const common = (name: ProviderName) => ({
    ...(config.PROVIDER_TIMEOUT_MS[name] !== undefined ? { timeoutMs: config.PROVIDER_TIMEOUT_MS[name] } : {}),
  });
  const out: ProvidersConfig = {
    local: { passMs: config.LOCAL_PASS_MS },
    mock: {
      latencyMs: config.MOCK_LATENCY_MS,
      failures: config.MOCK_FAILURES,
      retryAfterMs: config.MOCK_RETRY_AFTER_MS,
      seed: config.MOCK_SEED,
    },
  };
  const pollIntervalMs = config.PROVIDER_POLL_INTERVAL_MS;
  if (config.OPENAI_API_KEY) {
    out.openai = {
      ...common('openai'),
      apiKey: config.OPENAI_API_KEY.reveal(),
      model: config.OPENAI_MODEL,
      models: config.OPENAI_MODELS,
      outputFormat: config.OPENAI_OUTPUT_FORMAT,
      ...(config.OPENAI_BASE_URL ? { baseUrl: config.OPENAI_BASE_URL } : {}),
      ...(config.OPENAI_QUALITY ? { quality: config.OPENAI_QUALITY } : {}),
      ...(config.OPENAI_BACKGROUND ? { background: config.OPENAI_BACKGROUND } : {}),
    };
  }
  if (config.STABILITY_API_KEY) {
    out.stability = {
      ...common('stability'),
      apiKey: config.STABILITY_API_KEY.reveal(),
      endpoint: config.STABILITY_ENDPOINT,
      models: config.STABILITY_MODELS,
      inpaintMode: config.STABILITY_INPAINT_MODE,
      upscaler: config.STABILITY_UPSCALER,
      pollIntervalMs,
      ...(config.STABILITY_BASE_URL ? { baseUrl: config.STABILITY_BASE_URL } : {}),
      ...(config.STABILITY_MODEL ? { model: config.STABILITY_MODEL } : {}),
    };
  }
  if (config.REPLICATE_API_TOKEN) {
    out.replicate = {
      ...common('replicate'),
      apiKey: config.REPLICATE_API_TOKEN.reveal(),
      model: config.REPLICATE_MODEL,
      models: config.REPLICATE_MODELS,
      waitSeconds: config.REPLICATE_WAIT_SECONDS,
      kindModels: config.REPLICATE_KIND_MODELS,
      inputFields: config.REPLICATE_INPUT_FIELDS,
      pollIntervalMs,
      ...(config.REPLICATE_BASE_URL ? { baseUrl: config.REPLICATE_BASE_URL } : {}),
    };
  }
  if (config.FAL_KEY) {
    out.fal = {
      ...common('fal'),
      apiKey: config.FAL_KEY.reveal(),
      model: config.FAL_MODEL,
      models: config.FAL_MODELS,
      kindModels: config.FAL_KIND_MODELS,
      inputFields: config.FAL_INPUT_FIELDS,
      pollIntervalMs,
      ...(config.FAL_BASE_URL ? { baseUrl: config.FAL_BASE_URL } : {}),
    };
  }
  if (config.A1111_URLS.length > 0) {
    out.a1111 = {
      ...common('a1111'),
      urls: config.A1111_URLS,
      concurrency: config.A1111_INSTANCE_CONCURRENCY,
      steps: config.A1111_STEPS,
      pollIntervalMs,
      ...(config.A1111_AUTH ? { auth: config.A1111_AUTH.reveal() } : {}),
      ...(config.A1111_MODEL ? { model: config.A1111_MODEL } : {}),
    };
  }
  if (config.COMFYUI_URLS.length > 0) {
    out.comfyui = {
      ...common('comfyui'),
      urls: config.COMFYUI_URLS,
      concurrency: config.COMFYUI_INSTANCE_CONCURRENCY,
      pollIntervalMs,
      // Read and checked here, once: a broken template stops the worker at start, naming its file.
      templates: loadWorkflowTemplates(config.COMFYUI_WORKFLOWS_DIR),
      workflow: config.COMFYUI_WORKFLOW,
      ...(config.COMFYUI_AUTH ? { auth: config.COMFYUI_AUTH.reveal() } : {}),
      ...(config.COMFYUI_MODEL ? { model: config.COMFYUI_MODEL } : {}),
      ...(config.COMFYUI_STEPS ? { steps: config.COMFYUI_STEPS } : {}),
    };
  }
  return out;
}

export function makeProviderRegistry(config: WorkerConfig): ProviderRegistry {
  const options = providersConfigOf(config);
  const enabled = new Set<string>(config.PROVIDERS_ENABLED);
  // Built up front, so a misconfigured provider stops the worker at start, not at its first job.
  const adapters = new Map<string, ImageProvider>(
    config.PROVIDERS_ENABLED.map((name) => [name, createProvider(name, options)]),
  );
  return {
    providerFor: (name) => {
      const adapter = adapters.get(name);
      if (!adapter) throw new Error(`provider ${name} is not enabled on this worker`);
      return adapter;
    },
    isEnabled: (name) => enabled.has(name),
    fallbackOrder: config.PROVIDER_FALLBACK,
  };
}
