import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { CollectionMenu } from '../components/CollectionMenu.js';
import { GallerySelection, RenameProject } from '../components/GallerySelection.js';
import { GalleryTile, tileName } from '../components/GalleryTile.js';
import { GalleryViews } from '../components/GalleryViews.js';
import { describeRequestError } from '../lib/errors.js';
import { useGalleryActions } from '../lib/gallery-actions.js';
import { usePageTitle } from '../lib/title.js';
import { useTRPC } from '../trpc.js';

const PAGE_SIZE = 24;

/**
 * All of the account's images across jobs, newest first, loading more as the end comes into view;
 * by project (`?project=`), or only favourites (/gallery/favourites).
 */
export function GalleryPage({ favourites = false }: { favourites?: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  usePageTitle(favourites ? 'Favourites' : 'Gallery');
  const [params, setParams] = useSearchParams();
  const projectId = params.get('project') ?? '';
  const projects = useQuery(trpc.gallery.projects.queryOptions(undefined, { staleTime: 30_000 }));
  const images = useInfiniteQuery(
    trpc.gallery.list.infiniteQueryOptions(
      { limit: PAGE_SIZE, ...(projectId ? { projectId } : {}), ...(favourites ? { favourites: true } : {}) },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const items = images.data?.pages.flatMap((page) => page.items) ?? [];
  const actions = useGalleryActions();
  // Selecting: each tile gets a checkbox and the bar acts on the chosen ones (ids still shown only).
  const [selecting, setSelecting] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  const selected = items.filter((image) => chosen.includes(image.id));
  const toggle = (imageId: string) =>
    setChosen((ids) => (ids.includes(imageId) ? ids.filter((other) => other !== imageId) : [...ids, imageId]));

  // Infinite scroll: the next page loads when the end of the grid comes near the screen.
  const end = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = images;
  useEffect(() => {
    const element = end.current;
    if (!element || !hasNextPage) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { rootMargin: '600px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <section className="gallery" aria-labelledby={`${id}-title`}>
      <div className="gallery-header">
        <h2 id={`${id}-title`}>{favourites ? 'Favourites' : 'Gallery'}</h2>
        <GalleryViews />
        <div className="field gallery-project">
          <label htmlFor={`${id}-project`}>Project</label>
          <select
            id={`${id}-project`}
            value={projectId}
            onChange={(event) => setParams(event.target.value ? { project: event.target.value } : {})}
          >
            <option value="">All projects</option>
            {projects.data?.map((project) => (
              <option key={project.projectId} value={project.projectId}>
                {project.projectId} ({project.jobs})
              </option>
            ))}
          </select>
        </div>
        {projectId ? <RenameProject projectId={projectId} onRenamed={(to) => setParams({ project: to })} /> : null}
        {selecting ? null : (
          <button type="button" onClick={() => setSelecting(true)}>
            Select
          </button>
        )}
      </div>
      {selecting ? (
        <GallerySelection
          selected={selected}
          shown={items}
          projects={projects.data ?? []}
          onSelect={setChosen}
          onDone={() => (setSelecting(false), setChosen([]))}
        />
      ) : null}
      {images.isError ? <p className="form-error">{describeRequestError(images.error)}</p> : null}
      {actions.error ? <p className="form-error">{describeRequestError(actions.error)}</p> : null}
      {images.isSuccess && items.length === 0 ? (
        <p className="empty">
          {favourites ? 'No favourites yet: mark an image with ☆ to keep it here.' : 'No images yet. '}
          {favourites ? null : <Link to="/">Make some</Link>}
        </p>
      ) : null}
      <ul className="gallery-grid" aria-busy={images.isFetching}>
        {items.map((image) => (
          <GalleryTile
            key={image.id}
            image={image}
            actions={actions}
            selected={selecting ? chosen.includes(image.id) : null}
            onToggle={() => toggle(image.id)}
          >
            <CollectionMenu imageIds={[image.id]} label={`Collect ${tileName(image)}`} />
          </GalleryTile>
        ))}
      </ul>
      <div ref={end} />
      {images.hasNextPage ? (
        <button type="button" onClick={() => void images.fetchNextPage()} disabled={images.isFetchingNextPage}>
          {images.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}
