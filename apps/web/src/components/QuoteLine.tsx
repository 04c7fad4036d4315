/**
 * The quote under the generate form: what the request would cost and when it should start, from
 * `jobs.quote` (the submit's own price and queue prediction), asked again a moment after the form stops
 * changing. Nothing for a request the form would refuse anyway.
 */
import { JobRequest, type JobRequestInput, type QuoteView } from '@darkroom/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '../trpc.js';
import { aboutDuration, clockTime } from './StartEstimate.js';

/** How long the form must rest before a quote is asked for (typing a prompt asks once, not per key). */
export const QUOTE_DEBOUNCE_MS = 400;

/** The quote's words: "Quote: 2 credits · should start in about 40 s". */
export function quoteText(quote: QuoteView, notBefore: string | undefined, now = Date.now()): string {
  const credits = `${quote.credits} credit${quote.credits === 1 ? '' : 's'}`;
  const start =
    notBefore && Date.parse(notBefore) > now && quote.predictedStartAt
      ? `scheduled · starts at ${clockTime(quote.predictedStartAt, now)}`
      : quote.estimatedWaitSeconds !== null
        ? `should start in ${aboutDuration(quote.estimatedWaitSeconds)}`
        : quote.position === 0
          ? 'should start at once'
          : `${quote.position} ahead in the queue`;
  return `Quote: ${credits} · ${start}${quote.affordable ? '' : ' · not enough credits'}`;
}

export function QuoteLine({ request }: { request: JobRequestInput | null }) {
  const trpc = useTRPC();
  const quote = useMutation(trpc.jobs.quote.mutationOptions());
  const { mutateAsync } = quote;
  const [shown, setShown] = useState<{ key: string; text: string } | null>(null);
  const latest = useRef('');
  // The key leaves out the idempotency key: a new one after each submit is not a new request to quote.
  const parsed = request ? JobRequest.safeParse({ ...request, idempotencyKey: undefined }) : null;
  const key = parsed?.success ? JSON.stringify(parsed.data) : '';
  useEffect(() => {
    latest.current = key;
    if (!key) return;
    const timer = setTimeout(() => {
      const input = JSON.parse(key) as JobRequestInput;
      mutateAsync(input)
        .then((answer) => {
          // An answer to an older form is dropped: only the latest request's quote is shown.
          if (latest.current === key) setShown({ key, text: quoteText(answer, input.notBefore) });
        })
        .catch(() => {
          if (latest.current === key) setShown(null);
        });
    }, QUOTE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key, mutateAsync]);
  const text = shown && shown.key === key ? shown.text : key ? 'Quote: …' : null;
  return text ? (
    <p className="muted quote-line" data-testid="quote-line" aria-live="polite">
      {text}
    </p>
  ) : null;
}
