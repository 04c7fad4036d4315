/**
 * What images cost, in credits. Pure: the API reads the table from its configuration and fixes a job's
 * price per image when the job is submitted, so a later change of prices never touches old jobs.
 */
import { z } from 'zod';

/**
 * Credits per image by provider, optionally refined by model or quality: keys are `provider`,
 * `provider/model` or `provider/quality` (e.g. `{ local: 1, 'comfyui/sdxl-base.safetensors': 2, 'openai/hd': 8 }`).
 */
export type PriceTable = Readonly<Record<string, number>>;

/** Default prices: every built-in provider costs one credit per image. */
export const DEFAULT_PRICES: PriceTable = { local: 1, mock: 1 };

/**
 * The price of one image: `provider/model` when listed (a checkpoint costs GPU time whatever else), else
 * `provider/kind` (e.g. `openai/image-to-image`, `local/upscale`; a job's kind, core JOB_KINDS), else
 * `provider/quality`, else `provider`, else `fallback`.
 */
export function pricePerImage(
  table: PriceTable,
  {
    provider,
    quality,
    model,
    kind,
  }: { provider: string; quality?: string | null; model?: string | null; kind?: string | null },
  fallback = 1,
): number {
  if (model) {
    const forModel = table[`${provider}/${model}`];
    if (forModel !== undefined) return forModel;
  }
  if (kind) {
    const byKind = table[`${provider}/${kind}`];
    if (byKind !== undefined) return byKind;
  }
  if (quality) {
    const refined = table[`${provider}/${quality}`];
    if (refined !== undefined) return refined;
  }
  return table[provider] ?? fallback;
}

/** Parses `local:1,mock:2,openai/hd:8` (what CREDIT_PRICES holds) into a price table. */
export function parsePriceTable(text: string): PriceTable {
  const table: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    // A model may hold `/` and `.` (`comfyui/sdxl/base.safetensors:3`); the price follows the last `:`.
    const match = /^([a-z0-9-]+(?:\/[\w.\-/ [\]()+]+)?):(\d+)$/.exec(part);
    if (!match)
      throw new Error(
        `"${part}" is not provider[/model, /kind or /quality]:credits (e.g. local:1, comfyui/sdxl-base:2, local/upscale:1 or openai/hd:8)`,
      );
    table[match[1]!] = Number(match[2]);
  }
  return table;
}

/** The most credits one grant may add or remove, so a typo cannot mint billions. */
/**
 * CREDIT_PRICES as the API and the workers read it (set both alike): `provider[/model or /quality]:credits`
 * pairs over DEFAULT_PRICES; unlisted providers cost 1.
 */
export const CreditPricesEnv = z
  .string()
  .default('')
  .transform((text, ctx): PriceTable => {
    try {
      return { ...DEFAULT_PRICES, ...parsePriceTable(text) };
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

export const MAX_CREDIT_GRANT = 1_000_000;

export const CreditGrant = z.object({
  /** The account to credit, by email. */
  email: z.string().trim().toLowerCase().email(),
  /** Credits to add (negative takes credits back, never below zero). */
  amount: z
    .number()
    .int()
    .min(-MAX_CREDIT_GRANT)
    .max(MAX_CREDIT_GRANT)
    .refine((amount) => amount !== 0, 'a grant of 0 credits changes nothing'),
  note: z.string().trim().max(200).optional(),
});
export type CreditGrant = z.infer<typeof CreditGrant>;

export const CREDIT_ENTRY_KINDS = ['grant', 'reserve', 'charge', 'refund'] as const;

/** One line of the ledger. `amount` is what it did to the balance; `balanceAfter` the balance then. */
export const CreditEntryView = z.object({
  id: z.string(),
  kind: z.enum(CREDIT_ENTRY_KINDS),
  amount: z.number().int(),
  balanceAfter: z.number().int(),
  jobId: z.string().nullable(),
  note: z.string().nullable(),
  createdAt: z.string(),
});
export type CreditEntryView = z.infer<typeof CreditEntryView>;

export const CreditsView = z.object({
  balance: z.number().int(),
  /** Newest first. */
  entries: z.array(CreditEntryView),
});
export type CreditsView = z.infer<typeof CreditsView>;

/** A page of the ledger one line per job; `cursor` is the previous page's `nextCursor`. */
export const LedgerPageInput = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'a nextCursor from the previous page')
    .optional(),
});
export type LedgerPageInput = z.input<typeof LedgerPageInput>;

/**
 * One line of the ledger: a grant, or everything one job did to the balance (its reserve, charge and
 * refund folded). `amount` is the net change; for a job, `spent` is what it cost and `refunded` what
 * was given back for images not made; `settled` is false while its credits are only held.
 */
export const LedgerLineView = z.object({
  id: z.string(),
  kind: z.enum(['grant', 'job']),
  jobId: z.string().nullable(),
  /** The job's prompt (null for grants, or when the job is gone). */
  prompt: z.string().nullable(),
  note: z.string().nullable(),
  amount: z.number().int(),
  spent: z.number().int(),
  refunded: z.number().int(),
  settled: z.boolean(),
  balanceAfter: z.number().int(),
  /** Its newest entry's time. */
  createdAt: z.string(),
});
export type LedgerLineView = z.infer<typeof LedgerLineView>;

export const LedgerPageView = z.object({
  balance: z.number().int(),
  /** Newest first (by each line's newest entry). */
  lines: z.array(LedgerLineView),
  nextCursor: z.string().nullable(),
});
export type LedgerPageView = z.infer<typeof LedgerPageView>;
