/**
 * The one place tRPC is set up. Procedures import only what is exported here.
 */
import { DOMAIN_ERRORS, DomainError, isDomainError } from '@darkroom/core';
import { isDatabaseUnavailable } from '@darkroom/db';
import { databaseUnavailable } from './unavailable.js';
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ZodError } from 'zod';
import type { Context } from './context.js';
import { assertStorableText } from './storable-text.js';
import { fieldIssues } from './zod-issues.js';

const t = initTRPC.context<Context>().create({
  // tRPC adds stack traces to every error unless NODE_ENV=production, which nothing here sets: a client
  // never needs one, and they show file paths and library internals.
  isDev: false,
  sse: {
    // Pings keep proxies from closing a quiet stream; a client that hears nothing for a while reconnects.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    // An unexpected failure's message is whatever threw (Prisma's names the query, the source file and
    // line): the log has it; the caller is told only that it happened, as REST and OpenAI routes do.
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    const { stack, ...data } = shape.data;
    return {
      ...shape,
      ...(internal ? { message: 'something went wrong inside Darkroom' } : {}),
      data: {
        ...data,
        // tRPC adds the stack outside production; never an unexpected failure's.
        ...(stack !== undefined && !internal ? { stack } : {}),
        // Field paths and limits of every bad input, as zod reported them.
        zodIssues: cause instanceof ZodError ? fieldIssues(cause) : null,
        // Every refusal names its domain code, schema failures included, so clients read one field.
        domainCode: isDomainError(cause) ? cause.code : cause instanceof ZodError ? ('BAD_INPUT' as const) : null,
        details: isDomainError(cause) ? (cause.details ?? null) : null,
      },
    };
  },
});

/**
 * Turns a service's DomainError into the tRPC error with the code of core's error table, and a lost database into
 * SERVICE_UNAVAILABLE rather than an internal error.
 */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isDomainError(result.error.cause)) {
    const cause = result.error.cause;
    const code: TRPC_ERROR_CODE_KEY = DOMAIN_ERRORS[cause.code].trpc;
    throw new TRPCError({ code, message: cause.message, cause });
  }
  if (!result.ok && isDatabaseUnavailable(result.error.cause ?? result.error))
    throw databaseUnavailable(result.error.cause);
  return result;
});

/** Refuses text Postgres cannot store before the input schema runs (see storable-text.ts). */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  try {
    assertStorableText(await getRawInput());
  } catch (error) {
    // A ZodError naming the field: the formatter reports it as BAD_INPUT with its issues.
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
  return next();
});

function isAuthed() {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.user) throw new DomainError('UNAUTHORIZED', ctx.authError ?? 'sign in or send an API key');
    return next({ ctx: { user: ctx.user } });
  });
}

/** Builds a router from procedures and sub-routers. */
export const router = t.router;
/** Anyone may call it; `ctx.user` may be null. */
export const publicProcedure = t.procedure.use(domainErrors).use(storableInput);
/** Needs a caller; `ctx.user` is non-null below it. */
export const protectedProcedure = publicProcedure.use(isAuthed());
/** Needs an admin. */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new DomainError('FORBIDDEN', 'admins only');
  return next();
});
/** Calls procedures in-process (tests, server-side code). */
export const createCallerFactory = t.createCallerFactory;
