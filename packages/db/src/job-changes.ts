/**
 * Job changes as Postgres announces them (the `darkroom_jobs` channel, fed by triggers on `jobs` and
 * `images`; see the live_updates migration). One LISTEN connection per process fans out to any number of
 * in-process subscribers, so live updates work across any number of API processes without anything but
 * Postgres between them.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';

export const JOB_CHANGES_CHANNEL = 'darkroom_jobs';
/** Announces the id of a user whose API keys, role or email changed (see the credential_changes migration). */
export const CREDENTIAL_CHANGES_CHANNEL = 'darkroom_credentials';

export interface JobChange {
  jobId: string;
  userId: string;
  /** The job's cancel has been requested (as of this change). */
  cancelRequested: boolean;
}

export interface JobChangeFeed {
  /**
   * Calls `onChange` for every change of one job, or of every job one user owns, until the returned
   * function is called. `onChange` is also called with null after a reconnect, when changes may have
   * been missed: subscribers should read again.
   */
  subscribe(filter: { jobId: string } | { userId: string }, onChange: (change: JobChange | null) => void): () => void;
  /**
   * Calls `onChange` with a user's id whenever their API keys, role or email change, and with null
   * after a reconnect (changes may have been missed), until the returned function is called.
   */
  onCredentialChange(onChange: (userId: string | null) => void): () => void;
  /** Whether the LISTEN connection is up right now. */
  readonly connected: boolean;
  close(): Promise<void>;
}

export interface JobChangeFeedOptions {
  databaseUrl: string;
  /** Told about connection trouble; the feed reconnects by itself. */
  onError?: (error: Error) => void;
  /** First reconnect delay in ms, doubled up to 5 s. Default 100. */
  reconnectDelayMs?: number;
}

/** Starts listening; resolves once the first LISTEN is in place. */
export async function listenForJobChanges(options: JobChangeFeedOptions): Promise<JobChangeFeed> {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let client: pg.Client | null = null;
  let closed = false;
  let connected = false;
  let delay = options.reconnectDelayMs ?? 100;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    const next = new pg.Client({ connectionString: options.databaseUrl });
    next.on('notification', (message) => {
      if (message.channel === CREDENTIAL_CHANGES_CHANNEL && message.payload) {
        events.emit('credentials', message.payload);
        return;
      }
      if (message.channel !== JOB_CHANGES_CHANNEL || !message.payload) return;
      let change: JobChange;
      try {
        change = JSON.parse(message.payload) as JobChange;
      } catch {
        return;
      }
      events.emit(`user:${change.userId}`, change);
      events.emit(`job:${change.jobId}`, change);
    });
    next.on('error', (error) => {
      options.onError?.(error);
      reconnectSoon(next);
    });
    next.on('end', () => reconnectSoon(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${JOB_CHANGES_CHANNEL}; LISTEN ${CREDENTIAL_CHANGES_CHANNEL}`);
    } catch (error) {
      next.removeAllListeners('end');
      await next.end().catch(() => {});
      throw error;
    }
    client = next;
    connected = true;
    delay = options.reconnectDelayMs ?? 100;
  };

  const reconnectSoon = (broken: pg.Client) => {
    if (closed || client !== broken) return;
    client = null;
    connected = false;
    broken.end().catch(() => {});
    scheduleReconnect();
  };

  const reconnect = async () => {
    if (closed) return;
    try {
      await connect();
      // Whatever happened while we were away was not heard: everyone reads again.
      events.emit('resync', null);
      events.emit('credentials', null);
    } catch (error) {
      options.onError?.(error as Error);
      delay = Math.min(delay * 2, 5000);
      scheduleReconnect();
    }
  };

  const scheduleReconnect = () => {
    // `void`: a failed attempt is reported and retried here; nothing waits on the timer's promise.
    retry = setTimeout(() => void reconnect(), delay);
    retry.unref();
  };

  await connect();

  return {
    subscribe(filter, onChange) {
      const key = 'jobId' in filter ? `job:${filter.jobId}` : `user:${filter.userId}`;
      events.on(key, onChange);
      events.on('resync', onChange);
      return () => {
        events.off(key, onChange);
        events.off('resync', onChange);
      };
    },
    onCredentialChange(onChange) {
      events.on('credentials', onChange);
      return () => events.off('credentials', onChange);
    },
    get connected() {
      return connected;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      events.removeAllListeners();
      await client?.end().catch(() => {});
      client = null;
      connected = false;
    },
  };
}
