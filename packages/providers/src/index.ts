import type { ProviderName } from '@darkroom/core';
import { createLocalProvider, type LocalProviderOptions } from './local/provider.js';
import { createMockProvider, type MockProviderOptions } from './mock/provider.js';
import type { ImageProvider } from './provider.js';
import { createOpenAIProvider, type OpenAIProviderOptions } from './openai/provider.js';
import { createReplicateProvider, type ReplicateProviderOptions } from './replicate/provider.js';
import { createFalProvider, type FalProviderOptions } from './fal/provider.js';
import { createStabilityProvider, type StabilityProviderOptions } from './stability/provider.js';
import { createA1111Provider, type A1111ProviderOptions } from './a1111/provider.js';
import { createComfyUIProvider, type ComfyUIProviderOptions } from './comfyui/provider.js';

export * from './errors.js';
// Kept so the worker's pipeline reads as before; new code imports image analysis from @darkroom/imaging.
export { paletteOf } from '@darkroom/imaging';
export * from './provider.js';
export * from './moderation.js';
export { createLocalProvider, type LocalProviderOptions } from './local/provider.js';
export * from './mock/provider.js';

/** Each provider's options; a real vendor's adapter cannot be made without its own (its API key). */
export interface ProvidersConfig {
  local?: LocalProviderOptions;
  mock?: MockProviderOptions;
  openai?: OpenAIProviderOptions;
  stability?: StabilityProviderOptions;
  replicate?: ReplicateProviderOptions;
  fal?: FalProviderOptions;
  a1111?: A1111ProviderOptions;
  comfyui?: ComfyUIProviderOptions;
}

/** The adapter for a configured provider name. */
export function createProvider(name: ProviderName, config: ProvidersConfig = {}): ImageProvider {
  const missing = () => new Error(`provider ${name} is not configured`);
  switch (name) {
    case 'local':
      return createLocalProvider(config.local);
    case 'mock':
      return createMockProvider(config.mock);
    case 'openai':
      if (!config.openai) throw missing();
      return createOpenAIProvider(config.openai);
    case 'stability':
      if (!config.stability) throw missing();
      return createStabilityProvider(config.stability);
    case 'replicate':
      if (!config.replicate) throw missing();
      return createReplicateProvider(config.replicate);
    case 'fal':
      if (!config.fal) throw missing();
      return createFalProvider(config.fal);
    case 'a1111':
      if (!config.a1111) throw missing();
      return createA1111Provider(config.a1111);
    case 'comfyui':
      if (!config.comfyui) throw missing();
      return createComfyUIProvider(config.comfyui);
    default:
      throw new Error(`unknown provider ${String(name)}`);
  }
}
export { createOpenAIProvider, type OpenAIProviderOptions } from './openai/provider.js';
export { createReplicateProvider, type ReplicateProviderOptions } from './replicate/provider.js';
export { createFalProvider, type FalProviderOptions } from './fal/provider.js';
export { createStabilityProvider, type StabilityProviderOptions } from './stability/provider.js';
export { createA1111Provider, type A1111ProviderOptions } from './a1111/provider.js';
export { makeEnginePool, type EnginePool, type EnginePoolOptions, type InstanceState } from './engines/pool.js';
export { createComfyUIProvider, type ComfyUIProviderOptions } from './comfyui/provider.js';
export {
  BUILTIN_IMG2IMG,
  BUILTIN_INPAINT,
  BUILTIN_TXT2IMG,
  loadWorkflowTemplates,
  PLACEHOLDERS,
  type WorkflowTemplate,
} from './comfyui/workflow.js';
