import { CreditGrant } from '@darkroom/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { describeRequestError, fieldErrors, zodIssuesOf } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';

/** Admins give an account credits (or take some back, never below 0), with a note for its ledger. */
export function GrantCredits() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [email, setEmail] = useState('');
  const [amount, setAmount] = useState('100');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const grant = useMutation(
    trpc.credits.grant.mutationOptions({
      onSuccess: () => {
        setAmount('100');
        setNote('');
        void queryClient.invalidateQueries({ queryKey: trpc.auth.status.queryKey() });
      },
      onError: (error) => setErrors(fieldErrors(zodIssuesOf(error))),
    }),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = CreditGrant.safeParse({ email, amount: Number(amount), ...(note.trim() ? { note } : {}) });
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error.issues));
      return;
    }
    setErrors({});
    grant.mutate(parsed.data);
  }
  const error = (name: string) =>
    errors[name] ? (
      <p className="field-error" id={`${id}-${name}-error`} role="alert">
        {errors[name]}
      </p>
    ) : null;
  const field = (name: string) => ({
    id: `${id}-${name}`,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `${id}-${name}-error` : undefined,
  });

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Give credits</h2>
      <form className="submit-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-email`}>Account email</label>
          <input {...field('email')} type="email" value={email} onChange={(event) => setEmail(event.target.value)} />
          {error('email')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-amount`}>Credits (negative to take back)</label>
          <input
            {...field('amount')}
            type="number"
            value={amount}
            onChange={(event) => setAmount(event.target.value)}
          />
          {error('amount')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-note`}>Note (optional)</label>
          <input {...field('note')} value={note} maxLength={200} onChange={(event) => setNote(event.target.value)} />
          {error('note')}
        </div>
        <button type="submit" className="primary" disabled={grant.isPending}>
          Give credits
        </button>
        <p className="muted" role="status" data-testid="grant-result">
          {grant.isSuccess ? `${grant.data.email} now has ${grant.data.balance} credits.` : ''}
        </p>
        {grant.isError && !zodIssuesOf(grant.error) ? (
          <p className="form-error" role="alert">
            {describeRequestError(grant.error)}
          </p>
        ) : null}
      </form>
    </section>
  );
}
