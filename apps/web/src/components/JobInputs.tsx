import type { JobView } from '@darkroom/core';
import { Link } from 'react-router';
import { KIND_WORDS } from '../lib/inputs-form.js';
import '../inputs.css';

const SLOT_WORDS = { image: 'Image', mask: 'Mask', reference: 'Reference' } as const;

/**
 * What a job was made from: its kind, its input images (thumbnails with their roles) and, for a job
 * derived from a result (vary, upscale, edit region), a link to that parent image.
 */
export function JobInputs({ job }: { job: Pick<JobView, 'kind' | 'inputs' | 'inputOptions' | 'parentImageId'> }) {
  if (job.kind === 'text-to-image' && job.inputs.length === 0 && !job.parentImageId) return null;
  const strength = job.inputOptions?.strength;
  return (
    <div className="job-inputs-block" data-testid="job-inputs">
      <p className="muted">
        {KIND_WORDS[job.kind]}
        {job.kind === 'image-to-image' && strength !== undefined ? ` · strength ${strength}` : ''}
        {job.kind === 'upscale' && job.inputOptions?.upscale ? ` · ${job.inputOptions.upscale}×` : ''}
        {job.parentImageId ? (
          <>
            {' · '}
            <Link to={`/gallery/${job.parentImageId}`} data-testid="parent-image-link">
              made from this image
            </Link>
          </>
        ) : null}
      </p>
      {job.inputs.length > 0 ? (
        <ul className="job-inputs" aria-label="Inputs">
          {job.inputs.map((input) => {
            const words = input.slot === 'reference' ? `Reference: ${input.role ?? 'subject'}` : SLOT_WORDS[input.slot];
            return (
              <li key={`${input.slot}-${input.position}`}>
                <figure>
                  <img
                    src={input.thumbnailUrl ?? input.url}
                    alt={`${words} (${input.width} × ${input.height})`}
                    width={56}
                    height={56}
                    loading="lazy"
                  />
                  <figcaption>{words}</figcaption>
                </figure>
              </li>
            );
          })}
        </ul>
      ) : null}
    </div>
  );
}
