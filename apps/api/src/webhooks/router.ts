import { WebhookSecretView } from '@darkroom/core';
import { protectedProcedure, router } from '../trpc.js';
import { getWebhookSecret, rotateWebhookSecret } from './service.js';

export const webhooksRouter = router({
  /** The secret this account's webhooks are signed with (`whsec_...`), made on first read. */
  secret: protectedProcedure.output(WebhookSecretView).query(({ ctx: { db, user } }) => getWebhookSecret({ db, user })),
  /** Replaces the secret; deliveries from now on are signed with the new one. */
  rotateSecret: protectedProcedure
    .output(WebhookSecretView)
    .mutation(({ ctx: { db, user } }) => rotateWebhookSecret({ db, user })),
});
