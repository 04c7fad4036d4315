import { useEffect } from 'react';

/** The tab's title says where you are: "Gallery · Darkroom". */
export function usePageTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} · Darkroom` : 'Darkroom';
  }, [title]);
}
