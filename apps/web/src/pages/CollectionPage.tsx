import { MAX_COLLECTION_NAME } from '@darkroom/core';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { GalleryTile, tileName } from '../components/GalleryTile.js';
import { GalleryViews } from '../components/GalleryViews.js';
import { describeRequestError } from '../lib/errors.js';
import { useGalleryActions } from '../lib/gallery-actions.js';
import { plural } from '../lib/plain-words.js';
import { usePageTitle } from '../lib/title.js';
import { useTRPC } from '../trpc.js';

const PAGE_SIZE = 24;

/** One collection as its own gallery (/collections/:id): its images, renaming it, deleting it. */
export function CollectionPage() {
  const trpc = useTRPC();
  const id = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const collectionId = useParams().collectionId!;
  const images = useInfiniteQuery(
    trpc.collections.images.infiniteQueryOptions(
      { id: collectionId, limit: PAGE_SIZE },
      { getNextPageParam: (page) => page.page.nextCursor ?? undefined },
    ),
  );
  const board = images.data?.pages[0]?.collection;
  usePageTitle(board ? board.name : 'Collection');
  const items = images.data?.pages.flatMap((page) => page.page.items) ?? [];
  const actions = useGalleryActions();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.collections.pathKey() });
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState('');
  const rename = useMutation(
    trpc.collections.rename.mutationOptions({ onSuccess: () => (setRenaming(false), void refresh()) }),
  );
  const remove = useMutation(trpc.collections.remove.mutationOptions({ onSuccess: () => void refresh() }));
  const del = useMutation(
    trpc.collections.delete.mutationOptions({
      onSuccess: () => {
        void refresh();
        void navigate('/collections');
      },
    }),
  );
  const error = images.error ?? rename.error ?? remove.error ?? del.error ?? actions.error;

  return (
    <section className="gallery" aria-labelledby={`${id}-title`}>
      <div className="gallery-header">
        <h2 id={`${id}-title`}>{board?.name ?? 'Collection'}</h2>
        <GalleryViews />
        {board ? <p className="muted">{plural(board.images, 'image')}</p> : null}
        {board && !renaming ? (
          <button type="button" onClick={() => (setName(board.name), setRenaming(true))}>
            Rename
          </button>
        ) : null}
        {board && renaming ? (
          <form
            className="gallery-move"
            onSubmit={(event) => {
              event.preventDefault();
              if (name.trim()) rename.mutate({ id: board.id, name: name.trim() });
            }}
          >
            <label htmlFor={`${id}-name`}>New name</label>
            <input
              id={`${id}-name`}
              value={name}
              maxLength={MAX_COLLECTION_NAME}
              onChange={(event) => setName(event.target.value)}
            />
            <button type="submit" disabled={rename.isPending || !name.trim()}>
              Save
            </button>
            <button type="button" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : null}
        {board ? (
          <button
            type="button"
            className="danger"
            disabled={del.isPending}
            onClick={() => {
              if (window.confirm(`Delete the collection ${board.name}? Its images stay in your gallery.`))
                del.mutate({ id: board.id });
            }}
          >
            Delete collection
          </button>
        ) : null}
      </div>
      {error ? <p className="form-error">{describeRequestError(error)}</p> : null}
      {images.isSuccess && items.length === 0 ? (
        <p className="empty">
          Nothing in it yet: choose Collect on an image in the <Link to="/gallery">gallery</Link>.
        </p>
      ) : null}
      <ul className="gallery-grid" aria-busy={images.isFetching}>
        {items.map((image) => (
          <GalleryTile key={image.id} image={image} actions={actions} selected={null} onToggle={() => undefined}>
            <button
              type="button"
              aria-label={`Take out of this collection: ${tileName(image)}`}
              disabled={remove.isPending}
              onClick={() => remove.mutate({ id: collectionId, imageIds: [image.id] })}
            >
              Take out
            </button>
          </GalleryTile>
        ))}
      </ul>
      {images.hasNextPage ? (
        <button type="button" onClick={() => void images.fetchNextPage()} disabled={images.isFetchingNextPage}>
          {images.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}
