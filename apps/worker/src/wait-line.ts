/**
 * The callers of one provider waiting for a slot in this process, first come first served. A released
 * slot's notification wakes the first in line only, and only the first looks again on a timer (in case
 * a holder died without releasing): the others wait their turn without touching the database.
 */
import { ProviderError } from '@darkroom/providers';

export interface Place {
  /** Resolves when this caller should look for a free slot; rejects (canceled) when its signal aborts. */
  turn(): Promise<void>;
}

class Waiting implements Place {
  /** Woken while not waiting (its look was in flight): look again at once. */
  woken = false;
  private resume: (() => void) | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly line: WaitLine,
    private readonly signal: AbortSignal,
  ) {}

  wake() {
    this.woken = true;
    this.resume?.();
  }

  /** The first in line looks again after about pollMs even without a notification. */
  arm() {
    if (!this.resume || this.timer || !this.line.isFirst(this)) return;
    this.timer = setTimeout(() => this.wake(), this.line.pollMs * (0.5 + Math.random()));
  }

  turn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        this.resume = null;
        clearTimeout(this.timer);
        this.timer = undefined;
        this.signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(new ProviderError('canceled', 'canceled while waiting for a provider slot'));
      };
      if (this.signal.aborted) return onAbort();
      if (this.woken) {
        this.woken = false;
        return resolve();
      }
      this.resume = () => {
        this.woken = false;
        cleanup();
        resolve();
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
      this.arm();
    });
  }
}

export class WaitLine {
  private readonly places: Waiting[] = [];
  constructor(readonly pollMs: number) {}

  empty(): boolean {
    return this.places.length === 0;
  }

  isFirst(place: Place): boolean {
    return this.places[0] === place;
  }

  join(signal: AbortSignal): Place {
    const place = new Waiting(this, signal);
    this.places.push(place);
    return place;
  }

  leave(place: Place): void {
    const at = this.places.indexOf(place as Waiting);
    if (at < 0) return;
    this.places.splice(at, 1);
    if (at !== 0) return;
    // A wake the leaver did not use (it took a slot, or gave up, while a release was heard) goes on.
    if ((place as Waiting).woken) this.places[0]?.wake();
    else this.places[0]?.arm();
  }

  /** A slot may be free: the first in line looks. */
  wakeFirst(): void {
    this.places[0]?.wake();
  }

  /** Shutting down: everyone looks once more (and their callers' signals end the wait). */
  closeAll(): void {
    for (const place of this.places) place.wake();
  }
}
