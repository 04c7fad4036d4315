/** What the gallery and the image view both do to an image: favourite, remove, remix, in one place. */
import type { GalleryImageView } from '@darkroom/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../trpc.js';
import { imageFileName } from './download.js';
import { useStudio } from '../studio-context.js';

export function useGalleryActions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { remixJob } = useStudio();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.gallery.pathKey() });
  const favourite = useMutation(
    trpc.gallery.favourite.mutationOptions({
      onSuccess: (image) => {
        queryClient.setQueryData(trpc.gallery.get.queryKey({ id: image.id }), image);
        void refresh();
      },
    }),
  );
  const remove = useMutation(trpc.gallery.remove.mutationOptions({ onSuccess: () => void refresh() }));
  return {
    toggleFavourite: (image: GalleryImageView) => favourite.mutate({ id: image.id, favourite: !image.favourite }),
    /** Asks first: removing cannot be undone from the gallery (the job still has the image). */
    remove: async (image: GalleryImageView): Promise<boolean> => {
      if (!window.confirm('Remove this image from your gallery? Its job keeps it.')) return false;
      await remove.mutateAsync({ id: image.id });
      return true;
    },
    /** Create, filled with the image's job and focused on its prompt. */
    remix: async (image: GalleryImageView) =>
      remixJob(await queryClient.fetchQuery(trpc.jobs.get.queryOptions({ id: image.jobId }))),
    error: favourite.error ?? remove.error,
  };
}

/** The name a job card's download uses too. */
export const galleryFileName = (image: Pick<GalleryImageView, 'jobId' | 'index' | 'mime'>) =>
  imageFileName(image.jobId, image.index, image.mime);
