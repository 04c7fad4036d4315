import type { SignUpMode } from '@darkroom/core';
import { MIN_PASSWORD_LENGTH } from '@darkroom/core/limits';
import { useMutation } from '@tanstack/react-query';
import { darkroomErrorOf } from '@darkroom/client';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { loadAuthSchemas } from '../auth-schemas-loader.js';
import { describeRequestError, fieldErrors, refusedFieldOf, zodIssuesOf } from '../lib/errors.js';
import { loadStudio } from '../studio-loader.js';
import { useTRPC } from '../trpc.js';

const prefetchSchemas = () => void loadAuthSchemas().catch(() => undefined);

/** A code in the link an admin shared (`/?invite=inv_...`) fills the field. */
const inviteInLink = () => new URLSearchParams(window.location.search).get('invite') ?? '';

/**
 * Sign up or log in. A fresh install opens on sign up (the first account becomes the admin); after
 * that, on log in. Where the server asks for invite codes (SIGNUP_MODE=invite) the sign-up form has a
 * field for one; where sign-up is closed it is not offered. The session lives in an httpOnly cookie the
 * page never sees.
 */
export function AuthScreen({
  hasAccounts,
  signUpMode,
  onSignedIn,
}: {
  hasAccounts: boolean;
  signUpMode: SignUpMode;
  onSignedIn: () => void;
}) {
  const trpc = useTRPC();
  const canSignUp = signUpMode !== 'closed';
  const [mode, setMode] = useState<'signUp' | 'logIn'>(
    canSignUp && (!hasAccounts || inviteInLink()) ? 'signUp' : 'logIn',
  );
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [inviteCode, setInviteCode] = useState(inviteInLink);
  const needsInvite = mode === 'signUp' && signUpMode === 'invite';
  const [errors, setErrors] = useState<Record<string, string>>({});
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  // After every refused submit, focus goes to the first field in trouble (or the form's message), so a
  // screen reader hears it and a keyboard user is where the fix is.
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (attempt === 0) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], [data-form-error]')?.focus();
  }, [attempt]);
  const refuse = (next: Record<string, string>) => {
    setErrors(next);
    setAttempt((n) => n + 1);
  };
  const onError = (error: unknown) => {
    const fields = fieldErrors(zodIssuesOf(error));
    // A refused invite code (used, expired, revoked) is told next to its field.
    if (!Object.keys(fields).length && refusedFieldOf(error) === 'inviteCode')
      fields.inviteCode = describeRequestError(error);
    // On the log-in form UNAUTHORIZED means the email or password is wrong, not "you were signed out".
    const wrong = mode === 'logIn' && darkroomErrorOf(error).code === 'UNAUTHORIZED';
    refuse(
      Object.keys(fields).length ? fields : { form: wrong ? 'Wrong email or password.' : describeRequestError(error) },
    );
  };
  const signUp = useMutation(trpc.auth.signUp.mutationOptions({ onSuccess: onSignedIn, onError }));
  const logIn = useMutation(trpc.auth.logIn.mutationOptions({ onSuccess: onSignedIn, onError }));
  const pending = signUp.isPending || logIn.isPending;
  // Between a submit and its schemas' arrival a second submit is ignored, as during the request.
  const checking = useRef(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (pending || checking.current) return;
    checking.current = true;
    let schemas: Awaited<ReturnType<typeof loadAuthSchemas>>;
    try {
      schemas = await loadAuthSchemas();
    } catch {
      return refuse({ form: 'Cannot reach Darkroom to check the form. Try again in a moment.' });
    } finally {
      checking.current = false;
    }
    const { LogInInput, SignUpInput } = schemas;
    if (mode === 'logIn') {
      const parsed = LogInInput.safeParse({ email, password });
      if (!parsed.success) return refuse(fieldErrors(parsed.error.issues));
      setErrors({});
      return logIn.mutate(parsed.data);
    }
    const parsed = SignUpInput.safeParse({ email, password, ...(needsInvite ? { inviteCode } : {}) });
    const fields = parsed.success ? {} : fieldErrors(parsed.error.issues);
    if (needsInvite && !inviteCode.trim()) fields.inviteCode = 'Enter the invite code an admin gave you.';
    if (!parsed.success || Object.keys(fields).length) return refuse(fields);
    setErrors({});
    signUp.mutate(parsed.data);
  }

  const title = mode === 'signUp' ? 'Create your account' : 'Log in';
  return (
    <div className="app auth">
      <a className="skip-link" href="#main">
        Skip to the form
      </a>
      <header className="app-header">
        <h1>Darkroom</h1>
        <p className="tagline">Ask for images; follow them as they develop.</p>
      </header>
      <main id="main" tabIndex={-1} className="panel auth-panel" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>{title}</h2>
        {mode === 'signUp' && !hasAccounts ? (
          <p className="muted">The first account runs this Darkroom: it becomes the admin.</p>
        ) : null}
        <form
          className="submit-form"
          onSubmit={(event) => void submit(event)}
          // The first touch fetches the form's schemas (and typing, the studio), so both are usually in
          // by submit; a failed fetch is told at submit.
          onFocus={prefetchSchemas}
          onInput={() => (prefetchSchemas(), void loadStudio())}
          noValidate
          ref={formRef}
        >
          <div className="field">
            <label htmlFor={`${id}-email`}>Email</label>
            <input
              id={`${id}-email`}
              type="email"
              autoComplete="email"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              aria-invalid={errors.email ? true : undefined}
              aria-describedby={errors.email ? `${id}-email-error` : undefined}
            />
            {errors.email ? (
              <p className="field-error" role="alert" id={`${id}-email-error`}>
                {errors.email}
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor={`${id}-password`}>Password</label>
            <input
              id={`${id}-password`}
              type="password"
              autoComplete={mode === 'signUp' ? 'new-password' : 'current-password'}
              minLength={mode === 'signUp' ? MIN_PASSWORD_LENGTH : undefined}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-invalid={errors.password ? true : undefined}
              aria-describedby={
                [errors.password ? `${id}-password-error` : null, mode === 'signUp' ? `${id}-password-rule` : null]
                  .filter(Boolean)
                  .join(' ') || undefined
              }
            />
            {mode === 'signUp' ? (
              <p className="hint" id={`${id}-password-rule`}>
                At least {MIN_PASSWORD_LENGTH} characters.
              </p>
            ) : null}
            {errors.password ? (
              <p className="field-error" role="alert" id={`${id}-password-error`}>
                {errors.password}
              </p>
            ) : null}
          </div>
          {needsInvite ? (
            <div className="field">
              <label htmlFor={`${id}-invite`}>Invite code</label>
              <input
                id={`${id}-invite`}
                autoComplete="off"
                spellCheck={false}
                placeholder="inv_…"
                value={inviteCode}
                onChange={(event) => setInviteCode(event.target.value)}
                aria-invalid={errors.inviteCode ? true : undefined}
                aria-describedby={errors.inviteCode ? `${id}-invite-error` : undefined}
              />
              {errors.inviteCode ? (
                <p className="field-error" role="alert" id={`${id}-invite-error`}>
                  {errors.inviteCode}
                </p>
              ) : (
                <p className="muted">Sign-up here is by invitation: an admin gives out codes.</p>
              )}
            </div>
          ) : null}
          {errors.form ? (
            <p className="form-error" role="alert" tabIndex={-1} data-form-error data-testid="auth-error">
              {errors.form}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={pending}>
            {mode === 'signUp' ? 'Sign up' : 'Log in'}
          </button>
        </form>
        {canSignUp ? (
          <p className="muted">
            {mode === 'signUp' ? 'Already have an account? ' : 'New here? '}
            <button
              type="button"
              className="link"
              onClick={() => (setErrors({}), setMode(mode === 'signUp' ? 'logIn' : 'signUp'))}
            >
              {mode === 'signUp' ? 'Log in' : 'Create an account'}
            </button>
          </p>
        ) : (
          <p className="muted" data-testid="signup-closed">
            New accounts are made by the operator of this Darkroom.
          </p>
        )}
      </main>
    </div>
  );
}
