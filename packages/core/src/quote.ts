/**
 * A quote: what a request would cost and when it would run, answered without submitting it, from the same
 * code the submit uses (its checks, its price, its place in the queue).
 */
import { z } from 'zod';

export const QuoteView = z.object({
  /** Credits the job would hold at submit: numImages x pricePerImage. Charged per stored image. */
  credits: z.number().int(),
  pricePerImage: z.number().int(),
  /** The caller's balance now, and whether it covers `credits` (a submit now would be refused if not). */
  balance: z.number().int(),
  affordable: z.boolean(),
  /** Queued jobs that would be ahead of it, submitted now. */
  position: z.number().int().min(0),
  /** Seconds until it would start, from the recent start rate; null without recent starts to go by. */
  estimatedWaitSeconds: z.number().nullable(),
  /** When it would start and finish (ISO 8601); null when there is nothing to go by. */
  predictedStartAt: z.string().nullable(),
  /** From the recent run time per image of this provider; null without recent runs of it. */
  predictedFinishAt: z.string().nullable(),
});
export type QuoteView = z.infer<typeof QuoteView>;
