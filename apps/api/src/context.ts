import type { Db, JobChangeFeed } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { QueueSettings } from './queue/service.js';

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
  /** How the queue's health is judged. */
  settings: QueueSettings;
  user: AuthUser | null;
}
