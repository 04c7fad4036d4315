import type { Db, JobChangeFeed } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';

/** Who is calling. Until accounts land, every request acts as the local default user. */
export interface AuthUser {
  id: string;
  email: string;
  role: 'user' | 'admin';
}

/** What every procedure and route may use; built once per request. */
export interface Context {
  db: Db;
  storage: ImageStorage;
  /** Job changes announced by Postgres, for live subscriptions. */
  jobChanges: JobChangeFeed;
  user: AuthUser | null;
}
