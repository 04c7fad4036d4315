import { useEffect } from 'react';

// The tab's title is "(2) Gallery · Darkroom": jobs in progress, then where you are. Two hooks own the
// two parts; whichever changes redraws the whole.
let place = 'Darkroom';
let inProgress = 0;
const draw = () => {
  document.title = `${inProgress > 0 ? `(${inProgress}) ` : ''}${place}`;
};

/** The tab's title says where you are: "Gallery · Darkroom". */
export function usePageTitle(title: string | null): void {
  useEffect(() => {
    place = title ? `${title} · Darkroom` : 'Darkroom';
    draw();
  }, [title]);
}

/** How many of the account's jobs are queued or running, shown first in the title while any are. */
export function useJobsInProgressTitle(count: number): void {
  useEffect(() => {
    inProgress = count;
    draw();
    return () => {
      inProgress = 0;
      draw();
    };
  }, [count]);
}
