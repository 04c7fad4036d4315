/**
 * Admins: the engine instance each running image of a job is on (`admin.jobInstances`), under the job's
 * progress while it runs on a self-hosted engine. Anyone else sees nothing (and the API refuses them).
 */
import { ENGINE_OPTION_PROVIDERS, type JobView } from '@darkroom/core';
import { useQuery } from '@tanstack/react-query';
import { useStudio } from '../studio-context.js';
import { useTRPC } from '../trpc.js';

export function EngineInstances({ view }: { view: JobView }) {
  // Outside the signed-in frame (no outlet context) there is no account, so nothing to show.
  const account = (useStudio() as ReturnType<typeof useStudio> | undefined)?.account;
  const trpc = useTRPC();
  // Engines are the providers that take engine options (a pool of instances).
  const onEngine = ENGINE_OPTION_PROVIDERS.steps.includes(view.provider);
  const shown = account?.role === 'admin' && onEngine && view.status === 'running';
  const instances = useQuery(
    trpc.admin.jobInstances.queryOptions({ id: view.id }, { enabled: shown, refetchInterval: 2000 }),
  );
  const images = instances.data?.images ?? [];
  if (!shown || images.length === 0) return null;
  return (
    <p className="muted" data-testid="engine-instances">
      {images.map((image) => `Image ${image.index + 1} on ${image.instance}`).join(' · ')}
    </p>
  );
}
