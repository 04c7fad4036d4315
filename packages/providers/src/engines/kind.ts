import type { JobKind } from '@darkroom/core';
import type { GenerateRequest } from '../provider.js';

/** The request's kind: as the caller says, else what its inputs make (a mask inpaints, an image alone restyles). */
export function kindOfRequest(request: Pick<GenerateRequest, 'kind' | 'inputs'>): JobKind {
  if (request.kind) return request.kind;
  if (!request.inputs?.image) return 'text-to-image';
  return request.inputs.mask ? 'inpaint' : 'image-to-image';
}
