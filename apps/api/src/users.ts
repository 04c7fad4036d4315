import type { Db } from '@darkroom/db';
import type { AuthUser } from './context.js';

export const LOCAL_USER_EMAIL = 'local@darkroom.localhost';

/**
 * The user who owns every job until accounts exist. Created on first start; cannot log in (no
 * password hash).
 */
export async function ensureLocalUser(db: Db): Promise<AuthUser> {
  const user = await db.user.upsert({
    where: { email: LOCAL_USER_EMAIL },
    create: { email: LOCAL_USER_EMAIL, role: 'admin' },
    update: {},
  });
  return { id: user.id, email: user.email, role: user.role };
}
