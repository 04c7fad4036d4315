/**
 * A desktop notification when one of the account's jobs finishes while the tab is hidden, once the
 * person has allowed notifications (the footer's button asks; the browser remembers the answer).
 * Jobs are watched through the query cache, which the live stream and every poll write into, so a
 * job is noticed however its news arrives.
 */
import type { JobView } from '@darkroom/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { JOB_GET_PATH } from './job-cache.js';
import { plural } from './plain-words.js';

const ACTIVE = new Set<JobView['status']>(['queued', 'running']);
const supported = () => typeof window !== 'undefined' && 'Notification' in window;

function finishedWords(job: JobView): string {
  const made = job.images.filter((image) => image.status === 'succeeded').length;
  if (job.status === 'succeeded') return `${plural(made, 'image')} ready`;
  if (job.status === 'canceled') return `Canceled · ${plural(made, 'image')} kept`;
  return made > 0 ? `Partly failed · ${plural(made, 'image')} made` : 'Failed: no image was made';
}

/** Watches `jobs.get` in the cache: a job last seen queued or running that is now over is announced. */
export function useFinishedJobNotifications(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    const seen = new Map<string, JobView['status']>();
    return queryClient.getQueryCache().subscribe((event) => {
      if (event.type !== 'updated' || event.query.queryKey[0]?.toString() !== JOB_GET_PATH[0].toString()) return;
      const job = event.query.state.data as JobView | undefined;
      if (!job?.id) return;
      const before = seen.get(job.id);
      seen.set(job.id, job.status);
      if (!before || !ACTIVE.has(before) || ACTIVE.has(job.status)) return;
      if (!supported() || Notification.permission !== 'granted' || document.visibilityState !== 'hidden') return;
      const notification = new Notification(`Job finished: ${job.prompt.slice(0, 60)}`, {
        body: finishedWords(job),
        tag: `darkroom-job-${job.id}`,
      });
      notification.onclick = () => {
        window.focus();
        window.location.assign(`/jobs/${job.id}`);
      };
    });
  }, [queryClient]);
}

/** Asks for permission to notify; says so once granted, and how to change it once refused. */
export function NotifyButton() {
  const [permission, setPermission] = useState(() => (supported() ? Notification.permission : 'unsupported'));
  if (permission === 'unsupported') return null;
  if (permission === 'granted') return <span className="muted">Notifications on for finished jobs</span>;
  if (permission === 'denied')
    return <span className="muted">Notifications are blocked: allow them in the browser to hear of finished jobs</span>;
  return (
    <button type="button" onClick={() => void Notification.requestPermission().then(setPermission)}>
      Notify me when a job finishes
    </button>
  );
}
