/**
 * The one place tRPC is set up. Procedures import only what is exported here.
 */
import { isDomainError, type DomainErrorCode } from '@darkroom/core';
import { isDatabaseUnavailable } from '@darkroom/db';
import { databaseUnavailable } from './unavailable.js';
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ZodError } from 'zod';
import type { Context } from './context.js';
import { assertStorableText } from './storable-text.js';
import { fieldIssues } from './zod-issues.js';

const DOMAIN_TO_TRPC: Record<DomainErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_FOUND: 'NOT_FOUND',
  INVALID_STATE: 'PRECONDITION_FAILED',
  CONFLICT: 'CONFLICT',
  BAD_INPUT: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  INSUFFICIENT_CREDITS: 'PAYMENT_REQUIRED',
};

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
        domainCode: isDomainError(cause) ? cause.code : null,
        details: isDomainError(cause) ? (cause.details ?? null) : null,
      },
    };
  },
});

/**
 * Turns a service's DomainError into the tRPC error with the matching code, and a lost database into
 * SERVICE_UNAVAILABLE rather than an internal error.
 */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isDomainError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: DOMAIN_TO_TRPC[cause.code], message: cause.message, cause });
  }
  if (!result.ok && isDatabaseUnavailable(result.error.cause ?? result.error)) throw databaseUnavailable(result.error.cause);
  return result;
});

/** Refuses text Postgres cannot store before the input schema runs (see storable-text.ts). */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  try {
    assertStorableText(await getRawInput());
  } catch (error) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: (error as Error).message, cause: error });
  }
  return next();
});

function isAuthed() {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authError ?? 'sign in or send an API key' });
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
  if (ctx.user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'admins only' });
  return next();
});
/** Calls procedures in-process (tests, server-side code). */
export const createCallerFactory = t.createCallerFactory;
