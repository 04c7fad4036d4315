import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { describeRequestError } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';

/** Keys for programs: create one (its secret is shown once, here), see when each was last used, revoke. */
export function ApiKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  // Revoking cannot be undone: the first click asks, the second (on "Revoke key") does it.
  const [confirming, setConfirming] = useState<string | null>(null);
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: (created) => {
        setFresh(created.key);
        setName('');
        void refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: () => {
        setConfirming(null);
        void refresh();
      },
    }),
  );
  async function copyKey(key: string) {
    try {
      await navigator.clipboard.writeText(key);
      setCopied('Key copied');
    } catch {
      setCopied('Copy failed: select the key and copy it by hand');
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim() || create.isPending) return;
    create.mutate({ name });
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>API keys</h2>
      <p className="muted">
        Programs send a key as <code>Authorization: Bearer …</code> to the API and image URLs.
      </p>
      <form className="row key-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-name`}>Key name</label>
          <input
            id={`${id}-name`}
            value={name}
            maxLength={100}
            placeholder="render script"
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={create.isPending || !name.trim()}>
          Create key
        </button>
      </form>
      {create.isError ? <p className="form-error">{describeRequestError(create.error)}</p> : null}
      {fresh ? (
        <div className="new-key" role="status">
          <p>Copy this key now; it will not be shown again.</p>
          <code data-testid="new-api-key">{fresh}</code>
          <p>
            <button type="button" onClick={() => void copyKey(fresh)}>
              Copy key
            </button>{' '}
            {copied ? <span className="muted">{copied}</span> : null}
          </p>
        </div>
      ) : null}
      {keys.isSuccess && keys.data.length === 0 ? <p className="empty">No keys yet.</p> : null}
      <ul className="key-list">
        {keys.data?.map((key) => (
          <li key={key.id} data-testid="api-key">
            <span className="key-name">{key.name}</span>
            <code>{key.prefix}…</code>
            <span className="muted">
              {key.lastUsedAt ? `last used ${new Date(key.lastUsedAt).toLocaleString()}` : 'never used'}
            </span>
            {confirming === key.id ? (
              <span className="confirm" role="group" aria-label={`Revoke ${key.name}?`}>
                <span>Programs using it stop working at once.</span>{' '}
                <button
                  type="button"
                  className="danger"
                  onClick={() => revoke.mutate({ id: key.id })}
                  disabled={revoke.isPending}
                >
                  Revoke key
                </button>{' '}
                <button type="button" onClick={() => setConfirming(null)}>
                  Keep it
                </button>
              </span>
            ) : (
              <button type="button" onClick={() => setConfirming(key.id)}>
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
