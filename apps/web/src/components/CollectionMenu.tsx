/**
 * Puts images in collections: a disclosure with the account's collections (for one image, a checkbox
 * each, ticked where it already is; for a selection, an "Add" button each) and a field for a new one.
 */
import { MAX_COLLECTION_NAME } from '@darkroom/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { describeRequestError } from '../lib/errors.js';
import { plural } from '../lib/plain-words.js';
import { useTRPC } from '../trpc.js';

export function CollectionMenu({
  imageIds,
  label,
  summary = 'Collect',
}: {
  imageIds: string[];
  /** What a screen reader calls the control (which image it is for), starting with the summary's words. */
  label?: string;
  summary?: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <details className="collection-menu" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary aria-label={label}>{summary}</summary>
      {open ? <CollectionChoices imageIds={imageIds} /> : null}
    </details>
  );
}

function CollectionChoices({ imageIds }: { imageIds: string[] }) {
  const trpc = useTRPC();
  const id = useId();
  const queryClient = useQueryClient();
  const single = imageIds.length === 1 ? imageIds[0]! : null;
  const collections = useQuery(trpc.collections.list.queryOptions());
  const holding = useQuery(trpc.collections.ofImage.queryOptions({ imageId: single ?? '' }, { enabled: !!single }));
  const [name, setName] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.collections.pathKey() });
  const add = useMutation(
    trpc.collections.add.mutationOptions({
      onSuccess: (board) => (setNote(`${plural(imageIds.length, 'image')} in ${board.name}`), void refresh()),
    }),
  );
  const remove = useMutation(
    trpc.collections.remove.mutationOptions({
      onSuccess: (board) => (setNote(`Taken out of ${board.name}`), void refresh()),
    }),
  );
  const create = useMutation(trpc.collections.create.mutationOptions());
  const busy = add.isPending || remove.isPending || create.isPending;
  const error = collections.error ?? holding.error ?? add.error ?? remove.error ?? create.error;

  return (
    <div className="collection-choices">
      {collections.data?.length === 0 ? <p className="muted">No collections yet.</p> : null}
      <ul>
        {collections.data?.map((board) => (
          <li key={board.id}>
            {single ? (
              <label>
                <input
                  type="checkbox"
                  checked={holding.data?.includes(board.id) ?? false}
                  disabled={busy || !holding.data}
                  onChange={(event) =>
                    (event.target.checked ? add : remove).mutate({ id: board.id, imageIds: [single] })
                  }
                />{' '}
                {board.name}
              </label>
            ) : (
              <button type="button" disabled={busy} onClick={() => add.mutate({ id: board.id, imageIds })}>
                Add to {board.name}
              </button>
            )}
          </li>
        ))}
      </ul>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const trimmed = name.trim();
          if (!trimmed) return;
          void create
            .mutateAsync({ name: trimmed })
            .then((board) => add.mutateAsync({ id: board.id, imageIds }))
            .then(() => setName(''))
            .catch(() => undefined);
        }}
      >
        <label htmlFor={`${id}-new`}>New collection</label>
        <input
          id={`${id}-new`}
          value={name}
          maxLength={MAX_COLLECTION_NAME}
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" disabled={busy || !name.trim()}>
          Create and add
        </button>
      </form>
      {note ? (
        <p className="muted" role="status">
          {note}
        </p>
      ) : null}
      {error ? <p className="form-error">{describeRequestError(error)}</p> : null}
    </div>
  );
}
