import type { GalleryImageView, JobView } from '@darkroom/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { describeRequestError } from '../lib/errors.js';
import { CollectionMenu } from '../components/CollectionMenu.js';
import { galleryFileName, useGalleryActions } from '../lib/gallery-actions.js';
import { useTouchGestures } from '../lib/gestures.js';
import { presetLabel } from '../lib/job-words.js';
import { usePageTitle } from '../lib/title.js';
import { useTRPC } from '../trpc.js';
import { ImageInputActions } from '../components/ImageInputActions.js';
import { JobInputs } from '../components/JobInputs.js';

/**
 * One image at its own address (`/gallery/:imageId`): large, with everything that made it, the
 * actions, and its job's other images as a filmstrip (arrow keys move along it).
 */
export function ImagePage() {
  const { imageId = '' } = useParams();
  const trpc = useTRPC();
  const navigate = useNavigate();
  // The previous image stays on screen until the next one's facts arrive: stepping never flashes "Loading".
  const image = useQuery(trpc.gallery.get.queryOptions({ id: imageId }, { placeholderData: keepPreviousData }));
  const job = useQuery(trpc.jobs.get.queryOptions({ id: image.data?.jobId ?? '' }, { enabled: !!image.data }));
  usePageTitle(image.data ? `Image ${image.data.index + 1} · ${image.data.prompt.slice(0, 40)}` : 'Image');
  const strip = (job.data?.images ?? []).filter((other) => other.url);

  // Where the last step went, before the router has shown it: a key held down or pressed fast sends
  // several steps within one render, and each must start from the previous step, not from the page.
  const pending = useRef<string | null>(null);
  const current = useRef({ imageId, strip });
  current.current = { imageId, strip };
  useEffect(() => {
    if (pending.current === imageId) pending.current = null;
  }, [imageId]);
  const step = useCallback(
    (delta: 1 | -1) => {
      const { imageId: shown, strip: images } = current.current;
      const from = images.findIndex((other) => other.id === (pending.current ?? shown));
      if (images.length < 2 || from < 0) return;
      const next = images[(from + delta + images.length) % images.length]!;
      pending.current = next.id;
      void navigate(`/gallery/${next.id}`, { replace: true });
    },
    [navigate],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.target instanceof Element && event.target.closest('input, textarea, select')) return;
      const delta = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (!delta) return;
      event.preventDefault();
      step(delta);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [step]);

  if (image.isError)
    return (
      <section className="panel">
        <h2>Image not found</h2>
        <p className="form-error">{describeRequestError(image.error)}</p>
        <Link to="/gallery">Back to the gallery</Link>
      </section>
    );
  if (!image.data) return <p className="muted">Loading the image…</p>;
  return (
    <ImageDetails
      key={image.data.id}
      image={image.data}
      job={job.data ?? null}
      strip={strip}
      onStep={step}
      onRemoved={() => void navigate('/gallery', { replace: true })}
    />
  );
}

function ImageDetails({
  image,
  job,
  strip,
  onStep,
  onRemoved,
}: {
  image: GalleryImageView;
  job: JobView | null;
  strip: JobView['images'];
  onStep: (delta: 1 | -1) => void;
  onRemoved: () => void;
}) {
  const actions = useGalleryActions();
  const frame = useRef<HTMLDivElement>(null);
  const scale = useTouchGestures(frame, onStep);
  const [note, setNote] = useState<string | null>(null);
  const copy = async (what: string, text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setNote(`${what} copied`);
    } catch {
      setNote(`Copy failed: select the ${what.toLowerCase()} and copy it by hand`);
    }
  };
  const [shared, setShared] = useState<{ url: string; expiresAt: string } | null>(null);
  // A signed link works without signing in, until it expires (7 days, the longest the API allows).
  const share = async () => {
    try {
      const response = await fetch(`/images/${image.id}/signed-url?ttlSeconds=604800`, { method: 'POST' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const link = (await response.json()) as { url: string; expiresAt: string };
      const url = new URL(link.url, window.location.origin).href;
      setShared({ url, expiresAt: link.expiresAt });
      await copy('Link', url);
    } catch {
      setNote('Could not make a link. Try again in a moment.');
    }
  };
  const seconds = image.durationMs !== null ? `${(image.durationMs / 1000).toFixed(1)} s` : '–';
  return (
    <article className="image-view" data-testid="image-view" aria-labelledby="image-view-title">
      <div className="image-view-main">
        <div className="image-view-frame" ref={frame} data-testid="image-frame" data-scale={scale.toFixed(2)}>
          <img
            src={image.url}
            alt={`${image.prompt} (image ${image.index + 1})`}
            width={image.width}
            height={image.height}
            style={{ aspectRatio: `${image.width} / ${image.height}`, transform: `scale(${scale})` }}
          />
        </div>
        {strip.length > 1 ? (
          <nav className="filmstrip" aria-label="Images of this job">
            {strip.map((other) => (
              <Link
                key={other.id}
                to={`/gallery/${other.id}`}
                replace
                aria-current={other.id === image.id ? 'true' : undefined}
                aria-label={`Image ${other.index + 1}`}
              >
                <img src={other.thumbnailUrl ?? other.url!} alt="" width={64} height={64} />
              </Link>
            ))}
          </nav>
        ) : null}
      </div>
      <div className="image-view-side panel">
        <h2 id="image-view-title">Image {image.index + 1}</h2>
        <dl className="image-facts">
          <dt>Prompt</dt>
          <dd data-testid="image-prompt">{image.prompt}</dd>
          <dt>Negative prompt</dt>
          <dd>{image.negativePrompt ?? '–'}</dd>
          <dt>Preset</dt>
          <dd>{presetLabel(image.preset)}</dd>
          <dt>Style</dt>
          <dd>{image.style ?? '–'}</dd>
          <dt>Seed</dt>
          <dd data-testid="image-seed">{image.seed ?? '–'}</dd>
          <dt>Size</dt>
          <dd>
            {image.width} × {image.height} ({image.aspectRatio})
          </dd>
          <dt>Provider</dt>
          <dd>
            {image.provider}
            {image.model ? ` · ${image.model}` : ''}
            {image.quality ? ` · ${image.quality} quality` : ''}
          </dd>
          <dt>Made</dt>
          <dd>
            {new Date(image.createdAt).toLocaleString()} · took {seconds}
          </dd>
          <dt>Cost</dt>
          <dd>
            {image.credits} credit{image.credits === 1 ? '' : 's'}
          </dd>
          {image.projectId ? (
            <>
              <dt>Project</dt>
              <dd>
                <Link to={`/gallery?project=${encodeURIComponent(image.projectId)}`}>{image.projectId}</Link>
              </dd>
            </>
          ) : null}
        </dl>
        {job ? <JobInputs job={job} /> : null}
        <div className="image-view-actions">
          <button type="button" onClick={() => void copy('Prompt', image.prompt)}>
            Copy prompt
          </button>
          {image.seed !== null ? (
            <button type="button" onClick={() => void copy('Seed', String(image.seed))}>
              Copy seed
            </button>
          ) : null}
          <button type="button" className="primary" onClick={() => void actions.remix(image)}>
            Remix
          </button>
          <button type="button" aria-pressed={image.favourite} onClick={() => actions.toggleFavourite(image)}>
            {image.favourite ? '★ Favourite' : '☆ Favourite'}
          </button>
          <a className="button-link" href={image.url} download={galleryFileName(image)}>
            Download
          </a>
          <button type="button" onClick={() => void share()}>
            Share link
          </button>
          <button type="button" onClick={() => void actions.remove(image).then((gone) => gone && onRemoved())}>
            Remove
          </button>
          <ImageInputActions image={image} />
          <CollectionMenu imageIds={[image.id]} label="Collections for this image" summary="Collections" />
        </div>
        {job ? (
          <p>
            <Link to={`/jobs/${job.id}`}>Open its job</Link>
          </p>
        ) : null}
        {shared ? (
          <p className="share-link">
            Anyone with this link can see the image until {new Date(shared.expiresAt).toLocaleString()}:{' '}
            <a href={shared.url} data-testid="share-link">
              {shared.url}
            </a>
          </p>
        ) : null}
        {note ? (
          <p className="muted" role="status">
            {note}
          </p>
        ) : null}
        {actions.error ? <p className="form-error">{describeRequestError(actions.error)}</p> : null}
      </div>
    </article>
  );
}
