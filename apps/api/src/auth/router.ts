import {
  AccountView,
  ApiKeyCreated,
  ApiKeyCreateInput,
  ApiKeyRef,
  ApiKeyView,
  AuthStatusView,
  InviteCreated,
  InviteCreateInput,
  InviteRef,
  InviteView,
  LogInInput,
  SignUpInput,
} from '@darkroom/core';
import { z } from 'zod';
import { adminProcedure, protectedProcedure, publicProcedure, router } from '../trpc.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.js';
import { createInvite, listInvites, revokeInvite } from './invites.js';
import { getAccount, getAuthStatus, logIn, logOut, signUp } from './service.js';

export const authRouter = router({
  /** The signed-in account (or null), whether anyone has signed up yet, and the sign-up mode. */
  status: publicProcedure
    .output(AuthStatusView)
    .query(({ ctx: { db, settings, user } }) => getAuthStatus({ db, settings, user })),
  /** Creates an account and signs it in (sets the session cookie). */
  signUp: publicProcedure
    .input(SignUpInput)
    .output(AccountView)
    .mutation(({ ctx: { db, settings, limits, cookie, client }, input }) =>
      signUp({ db, settings, input, session: { cookie, client }, from: { ip: client.ip, limits } }),
    ),
  logIn: publicProcedure
    .input(LogInInput)
    .output(AccountView)
    .mutation(({ ctx: { db, settings, limits, cookie, client }, input }) =>
      logIn({ db, settings, limits, input, session: { cookie, client } }),
    ),
  logOut: publicProcedure
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx: { db, sessionId, cookie } }) => logOut({ db, sessionId, cookie })),
  me: protectedProcedure.output(AccountView).query(({ ctx: { db, user } }) => getAccount({ db, userId: user.id })),
});

export const apiKeysRouter = router({
  /** The key is in the answer once; only its prefix and hash are kept. */
  create: protectedProcedure
    .input(ApiKeyCreateInput)
    .output(ApiKeyCreated)
    .mutation(({ ctx: { db, user }, input }) => createApiKey({ db, user, name: input.name })),
  list: protectedProcedure.output(ApiKeyView.array()).query(({ ctx: { db, user } }) => listApiKeys({ db, user })),
  revoke: protectedProcedure
    .input(ApiKeyRef)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx: { db, user }, input }) => revokeApiKey({ db, user, id: input.id })),
});

/** Invite codes for SIGNUP_MODE=invite; admins only. */
export const invitesRouter = router({
  /** The code is in the answer once; only its hash is kept. */
  create: adminProcedure
    .input(InviteCreateInput)
    .output(InviteCreated)
    .mutation(({ ctx: { db, user }, input }) => createInvite({ db, by: user, input })),
  list: adminProcedure.output(InviteView.array()).query(({ ctx: { db } }) => listInvites({ db })),
  revoke: adminProcedure
    .input(InviteRef)
    .output(InviteView)
    .mutation(({ ctx: { db }, input }) => revokeInvite({ db, id: input.id })),
});
