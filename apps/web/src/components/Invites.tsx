import { MAX_INVITE_USES, type SignUpMode } from '@darkroom/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { describeRequestError } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';

const EXPIRIES = [
  { label: '1 day', hours: 24 },
  { label: '7 days', hours: 24 * 7 },
  { label: '30 days', hours: 24 * 30 },
  { label: 'never', hours: null },
] as const;

/** Admins: invite codes for SIGNUP_MODE=invite. A new code (and a link holding it) is shown once, here. */
export function Invites({ signUpMode }: { signUpMode: SignUpMode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [uses, setUses] = useState(1);
  const [expiry, setExpiry] = useState(1);
  const [fresh, setFresh] = useState<string | null>(null);
  const invites = useQuery(trpc.invites.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.invites.list.queryKey() });
  const create = useMutation(
    trpc.invites.create.mutationOptions({
      onSuccess: (created) => {
        setFresh(created.code);
        void refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.invites.revoke.mutationOptions({ onSuccess: () => void refresh() }));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (create.isPending) return;
    create.mutate({ maxUses: uses, expiresInHours: EXPIRIES[expiry]!.hours });
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`} data-testid="invites">
      <h2 id={`${id}-title`}>Invite codes</h2>
      <p className="muted">
        {signUpMode === 'invite'
          ? 'Sign-up here needs an invite code.'
          : `Sign-up is ${signUpMode} (SIGNUP_MODE); codes are only asked for when it is invite.`}
      </p>
      <form className="row key-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-uses`}>Accounts it may create</label>
          <input
            id={`${id}-uses`}
            type="number"
            min={1}
            max={MAX_INVITE_USES}
            value={uses}
            onChange={(event) => setUses(Math.max(1, Math.min(MAX_INVITE_USES, Number(event.target.value) || 1)))}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-expiry`}>Expires after</label>
          <select id={`${id}-expiry`} value={expiry} onChange={(event) => setExpiry(Number(event.target.value))}>
            {EXPIRIES.map((option, index) => (
              <option key={option.label} value={index}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create code
        </button>
      </form>
      {create.isError ? <p className="form-error">{describeRequestError(create.error)}</p> : null}
      {revoke.isError ? <p className="form-error">{describeRequestError(revoke.error)}</p> : null}
      {fresh ? (
        <div className="new-key" role="status">
          <p>Copy this code (or the link) now; it will not be shown again.</p>
          <code data-testid="new-invite-code">{fresh}</code>
          <code>{`${window.location.origin}/?invite=${fresh}`}</code>
        </div>
      ) : null}
      {invites.isError ? <p className="form-error">{describeRequestError(invites.error)}</p> : null}
      {invites.isSuccess && invites.data.length === 0 ? <p className="empty">No invite codes yet.</p> : null}
      <ul className="key-list">
        {invites.data?.map((invite) => (
          <li key={invite.id} data-testid="invite" data-state={invite.state}>
            <code>{invite.prefix}…</code>
            <span>
              {invite.uses} / {invite.maxUses} used
            </span>
            <span className="muted">
              {invite.state === 'usable'
                ? invite.expiresAt
                  ? `until ${new Date(invite.expiresAt).toLocaleString()}`
                  : 'no expiry'
                : invite.state}
            </span>
            <button
              type="button"
              onClick={() => revoke.mutate({ id: invite.id })}
              disabled={revoke.isPending || invite.state !== 'usable'}
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
