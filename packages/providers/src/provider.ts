import type { Preset, ProviderName } from '@darkroom/core';

export interface GenerateRequest {
  /** The full provider prompt (preset instructions already added). */
  prompt: string;
  negativePrompt?: string;
  preset: Preset;
  style?: string;
  width: number;
  height: number;
  /** 0..2^31-1; the same request and seed give the same image where the provider allows. */
  seed: number;
  /** Reference images' style metadata, for providers with `imageConditioning`. */
  references?: { palette: string[]; tags: string[] }[];
  /** 1 for the first try of this image, 2 for its first retry, ... */
  attempt?: number;
  /** Aborting rejects promptly with ProviderError('canceled'). */
  signal?: AbortSignal;
}

export interface GeneratedImage {
  bytes: Buffer;
  mime: 'image/png';
  width: number;
  height: number;
  seed: number;
  /** The vendor's id for the request, when it has one. */
  providerRequestId: string | null;
}

export interface ProviderCapabilities {
  /** Images one request can return. */
  maxImagesPerRequest: number;
  /** Whether reference images can steer the result. */
  imageConditioning: boolean;
  /** Largest side in pixels. */
  maxLongSide: number;
}

/** The one interface every image provider adapter implements. */
export interface ImageProvider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  /** Credits per image. */
  readonly pricePerImage: number;
  generate(request: GenerateRequest): Promise<GeneratedImage>;
  /** Asks the vendor to stop a request (where it has such an endpoint). */
  cancel?(providerRequestId: string): Promise<void>;
}
