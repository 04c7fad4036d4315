/**
 * Accounts, sessions and API keys as every surface sees them.
 *
 * Glossary
 * - account: a user who signs in with email + password (argon2id); the first one, or the one named by
 *   ADMIN_EMAIL, is an admin.
 * - session: a signed-in browser; an httpOnly cookie holds its token, the database only its hash.
 * - API key: `dk_<prefix>_<secret>` for programs, sent as `Authorization: Bearer`; shown once.
 */
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './limits.js';

export { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH };

export const Email = z.string().trim().toLowerCase().email().max(254);

/**
 * Who may create an account over HTTP (SIGNUP_MODE): anyone (`open`, the default), only someone holding
 * an invite code an admin made (`invite`), or no one (`closed`: the operator's admin command only).
 */
export const SIGNUP_MODES = ['open', 'invite', 'closed'] as const;
export const SignUpMode = z.enum(SIGNUP_MODES);
export type SignUpMode = z.infer<typeof SignUpMode>;

/** `inv_` + 32 base64url characters (192 random bits); only its SHA-256 is stored. */
export const INVITE_CODE_PATTERN = /^inv_[A-Za-z0-9_-]{32}$/;
export const InviteCode = z
  .string()
  .trim()
  .max(100)
  .regex(INVITE_CODE_PATTERN, 'an invite code is inv_ followed by 32 letters, digits, - or _');

export const SignUpInput = z.object({
  email: Email,
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `a password needs at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(MAX_PASSWORD_LENGTH),
  /** Needed when SIGNUP_MODE=invite; ignored otherwise. */
  inviteCode: InviteCode.optional(),
});
export type SignUpInput = z.infer<typeof SignUpInput>;

export const LogInInput = z.object({
  email: Email,
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});
export type LogInInput = z.infer<typeof LogInInput>;

export const Role = z.enum(['user', 'admin']);

/** The signed-in caller. */
export const AccountView = z.object({
  id: z.string(),
  email: z.string(),
  role: Role,
  creditBalance: z.number().int(),
});
export type AccountView = z.infer<typeof AccountView>;

/** What the web app needs before anyone signs in: whether to offer sign up first. */
export const AuthStatusView = z.object({
  account: AccountView.nullable(),
  /** False on a fresh install: the first account to sign up becomes the admin. */
  hasAccounts: z.boolean(),
  /** Whether sign-up is open, needs an invite code, or is closed (SIGNUP_MODE). */
  signUpMode: SignUpMode,
});
export type AuthStatusView = z.infer<typeof AuthStatusView>;

export const ApiKeyCreateInput = z.object({ name: z.string().trim().min(1).max(100) });

export const ApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  /** The key's first characters (`dk_ab12cd34`), enough to recognise it. */
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;

/** The only time the whole key is shown. */
export const ApiKeyCreated = z.object({ key: z.string(), apiKey: ApiKeyView });
export type ApiKeyCreated = z.infer<typeof ApiKeyCreated>;

export const ApiKeyRef = z.object({ id: z.string().uuid() });

/** At most this many sign-ups per invite code. */
export const MAX_INVITE_USES = 10_000;
/** The longest an invite code may stay valid, in hours (a year). */
export const MAX_INVITE_HOURS = 24 * 365;

export const InviteCreateInput = z.object({
  /** How many accounts the code may create. Default 1. */
  maxUses: z.number().int().min(1).max(MAX_INVITE_USES).default(1),
  /** Hours until the code stops working; null or absent: it never expires. */
  expiresInHours: z.number().int().min(1).max(MAX_INVITE_HOURS).nullable().default(null),
});
export type InviteCreateInput = z.input<typeof InviteCreateInput>;

export const InviteView = z.object({
  id: z.string(),
  /** The code's first characters (`inv_AbCd`), enough to recognise it. */
  prefix: z.string(),
  maxUses: z.number().int(),
  uses: z.number().int(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
  /** usable, used up, expired or revoked, as of the answer. */
  state: z.enum(['usable', 'used', 'expired', 'revoked']),
});
export type InviteView = z.infer<typeof InviteView>;

/** The only time the whole code is shown. */
export const InviteCreated = z.object({ code: z.string(), invite: InviteView });
export type InviteCreated = z.infer<typeof InviteCreated>;

export const InviteRef = z.object({ id: z.string().uuid() });

/** `dk_` + 8 lowercase hex (the prefix, stored and shown) + `_` + 43 base64url characters (the secret). */
export const API_KEY_PATTERN = /^dk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

export const STATS_WINDOWS = ['24h', '7d', 'all'] as const;

export const UsageWindow = z.object({
  jobs: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  canceled: z.number().int(),
  images: z.number().int(),
  /** Over finished runs (succeeded or failed), from start to finish; null without any. */
  averageProcessingMs: z.number().nullable(),
  p95ProcessingMs: z.number().nullable(),
  creditsUsed: z.number().int(),
  /** Most used first, at most five. */
  topPresets: z.array(z.object({ preset: z.string(), jobs: z.number().int() })),
  topProviders: z.array(z.object({ provider: z.string(), jobs: z.number().int() })),
  /**
   * Stored images per provider and model, most first, at most ten, with the average time the engine took
   * per image. `model` is what the engine reported (or was asked for); null: the provider's default.
   */
  topModels: z
    .array(
      z.object({
        provider: z.string(),
        model: z.string().nullable(),
        images: z.number().int(),
        averageImageMs: z.number().nullable(),
      }),
    )
    .optional(),
});
export type UsageWindow = z.infer<typeof UsageWindow>;

/** `stats.me`: the caller's usage over three windows. */
export const UsageView = z.object({ '24h': UsageWindow, '7d': UsageWindow, all: UsageWindow });
export type UsageView = z.infer<typeof UsageView>;

/** Everyone's usage over one window, as an operator sees it. */
export const GlobalStatsWindow = UsageWindow.extend({
  /** Accounts that submitted at least one job. */
  activeUsers: z.number().int(),
  /** succeeded / (succeeded + failed); canceled jobs are not outcomes. Null without any. */
  successRate: z.number().nullable(),
  /** Per provider, most used first. */
  outcomesByProvider: z.array(
    z.object({
      provider: z.string(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      canceled: z.number().int(),
      successRate: z.number().nullable(),
    }),
  ),
});
export type GlobalStatsWindow = z.infer<typeof GlobalStatsWindow>;

/** `stats.global` (admins): everyone's usage over the last 24 hours and 7 days. */
export const GlobalStatsView = z.object({ '24h': GlobalStatsWindow, '7d': GlobalStatsWindow });
export type GlobalStatsView = z.infer<typeof GlobalStatsView>;
