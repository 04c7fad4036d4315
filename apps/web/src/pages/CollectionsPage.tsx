import { MAX_COLLECTION_NAME } from '@darkroom/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { GalleryViews } from '../components/GalleryViews.js';
import { describeRequestError } from '../lib/errors.js';
import { plural } from '../lib/plain-words.js';
import { usePageTitle } from '../lib/title.js';
import { useTRPC } from '../trpc.js';

/** The account's collections (boards), each a link to its own gallery view; and making a new one. */
export function CollectionsPage() {
  const trpc = useTRPC();
  const id = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  usePageTitle('Collections');
  const collections = useQuery(trpc.collections.list.queryOptions());
  const [name, setName] = useState('');
  const create = useMutation(
    trpc.collections.create.mutationOptions({
      onSuccess: (board) => {
        void queryClient.invalidateQueries({ queryKey: trpc.collections.pathKey() });
        void navigate(`/collections/${board.id}`);
      },
    }),
  );

  return (
    <section className="gallery" aria-labelledby={`${id}-title`}>
      <div className="gallery-header">
        <h2 id={`${id}-title`}>Collections</h2>
        <GalleryViews />
        <form
          className="gallery-move"
          onSubmit={(event) => {
            event.preventDefault();
            if (name.trim()) create.mutate({ name: name.trim() });
          }}
        >
          <label htmlFor={`${id}-name`}>New collection</label>
          <input
            id={`${id}-name`}
            value={name}
            maxLength={MAX_COLLECTION_NAME}
            onChange={(event) => setName(event.target.value)}
          />
          <button type="submit" disabled={!name.trim() || create.isPending}>
            Create
          </button>
        </form>
      </div>
      {create.error ? <p className="form-error">{describeRequestError(create.error)}</p> : null}
      {collections.error ? <p className="form-error">{describeRequestError(collections.error)}</p> : null}
      {collections.data?.length === 0 ? (
        <p className="empty">
          No collections yet. Name one here, or choose Collect on an image in the <Link to="/gallery">gallery</Link>.
        </p>
      ) : null}
      <ul className="gallery-grid" aria-busy={collections.isFetching}>
        {collections.data?.map((board) => (
          <li key={board.id} className="gallery-tile" data-testid="collection-tile">
            <Link to={`/collections/${board.id}`} className="gallery-open collection-open">
              {board.coverUrl ? (
                <img src={board.coverUrl} alt="" loading="lazy" />
              ) : (
                <span className="collection-empty" />
              )}
              <span className="collection-name">{board.name}</span>
            </Link>
            <p className="gallery-caption muted">{plural(board.images, 'image')}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
