/**
 * The gallery's selection bar: download the selected images as one zip, remove them (after asking),
 * or put their jobs in a project (a new name creates it). And renaming the project being shown.
 */
import type { GalleryImageView, ProjectListView } from '@darkroom/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { CollectionMenu } from './CollectionMenu.js';
import { downloadZip } from '../lib/download.js';
import { describeRequestError } from '../lib/errors.js';
import { galleryFileName } from '../lib/gallery-actions.js';
import { plural } from '../lib/plain-words.js';
import { useTRPC } from '../trpc.js';

export function GallerySelection({
  selected,
  shown,
  projects,
  onSelect,
  onDone,
}: {
  selected: GalleryImageView[];
  shown: GalleryImageView[];
  projects: ProjectListView;
  onSelect: (ids: string[]) => void;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.gallery.pathKey() });
  const [note, setNote] = useState<string | null>(null);
  const [project, setProject] = useState('');
  const ids = selected.map((image) => image.id);
  const removeMany = useMutation(
    trpc.gallery.removeMany.mutationOptions({
      onSuccess: ({ removed }) => {
        setNote(`${plural(removed, 'image')} removed from the gallery`);
        onSelect([]);
        void refresh();
      },
    }),
  );
  const move = useMutation(
    trpc.gallery.moveToProject.mutationOptions({
      onSuccess: ({ jobs }, input) => {
        setNote(`${plural(jobs, 'job')} moved to ${input.projectId ?? 'no project'}`);
        setProject('');
        void refresh();
      },
    }),
  );
  const [downloading, setDownloading] = useState(false);
  const download = async () => {
    setDownloading(true);
    try {
      await downloadZip(
        `darkroom-${selected.length}-images`,
        selected.map((image) => ({ url: image.url, fileName: `${galleryFileName(image)}` })),
      );
    } catch {
      setNote('The download failed. Try again in a moment.');
    } finally {
      setDownloading(false);
    }
  };
  const remove = () => {
    if (!window.confirm(`Remove ${plural(ids.length, 'image')} from your gallery? Their jobs keep them.`)) return;
    removeMany.mutate({ ids });
  };
  const error = removeMany.error ?? move.error;
  const none = ids.length === 0;

  return (
    <div className="gallery-selection" role="region" aria-label="Selected images">
      <p className="muted" aria-live="polite" data-testid="selection-count">
        {plural(ids.length, 'image')} selected
      </p>
      <button type="button" onClick={() => onSelect(shown.map((image) => image.id))}>
        Select all shown
      </button>
      <button type="button" onClick={() => void download()} disabled={none || downloading}>
        {downloading ? 'Preparing…' : `Download ${ids.length} as zip`}
      </button>
      <button type="button" className="danger" onClick={remove} disabled={none || removeMany.isPending}>
        Remove {ids.length}
      </button>
      <form
        className="gallery-move"
        onSubmit={(event) => {
          event.preventDefault();
          if (!none && project.trim()) move.mutate({ ids, projectId: project.trim() });
        }}
      >
        <label htmlFor={`${id}-move`}>Move to project</label>
        <input
          id={`${id}-move`}
          list={`${id}-projects`}
          value={project}
          maxLength={128}
          placeholder="A project, or a new name"
          onChange={(event) => setProject(event.target.value)}
        />
        <datalist id={`${id}-projects`}>
          {projects.map((one) => (
            <option key={one.projectId} value={one.projectId} />
          ))}
        </datalist>
        <button type="submit" disabled={none || !project.trim() || move.isPending}>
          Move
        </button>
      </form>
      {none ? null : <CollectionMenu imageIds={ids} summary="Add to collection" />}
      <button type="button" onClick={onDone}>
        Done
      </button>
      {note ? (
        <p className="muted" role="status">
          {note}
        </p>
      ) : null}
      {error ? <p className="form-error">{describeRequestError(error)}</p> : null}
    </div>
  );
}

/** Renames the project being shown; the filter follows the new name. */
export function RenameProject({ projectId, onRenamed }: { projectId: string; onRenamed: (to: string) => void }) {
  const trpc = useTRPC();
  const id = useId();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(projectId);
  const rename = useMutation(
    trpc.gallery.renameProject.mutationOptions({
      onSuccess: (_, input) => {
        setOpen(false);
        void queryClient.invalidateQueries({ queryKey: trpc.gallery.pathKey() });
        onRenamed(input.to);
      },
    }),
  );
  if (!open)
    return (
      <button type="button" onClick={() => (setName(projectId), setOpen(true))}>
        Rename project
      </button>
    );
  return (
    <form
      className="gallery-move"
      onSubmit={(event) => {
        event.preventDefault();
        if (name.trim() && name.trim() !== projectId) rename.mutate({ from: projectId, to: name.trim() });
      }}
    >
      <label htmlFor={`${id}-name`}>New name</label>
      <input id={`${id}-name`} value={name} maxLength={128} onChange={(event) => setName(event.target.value)} />
      <button type="submit" disabled={rename.isPending}>
        Save
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {rename.error ? <p className="form-error">{describeRequestError(rename.error)}</p> : null}
    </form>
  );
}
