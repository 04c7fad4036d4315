/** One image in a gallery grid (the gallery, a collection): the picture, its caption and its actions. */
import type { GalleryImageView } from '@darkroom/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { galleryFileName, type useGalleryActions } from '../lib/gallery-actions.js';
import { presetLabel } from '../lib/job-words.js';

/** What a tile's controls call the image. */
export const tileName = (image: GalleryImageView) => `${image.prompt} (image ${image.index + 1})`;

export function GalleryTile({
  image,
  actions,
  selected,
  onToggle,
  children,
}: {
  image: GalleryImageView;
  actions: ReturnType<typeof useGalleryActions>;
  /** null when not selecting. */
  selected: boolean | null;
  onToggle: () => void;
  /** More actions after the common ones (a collection's "Remove from collection"). */
  children?: ReactNode;
}) {
  const name = tileName(image);
  return (
    <li
      className="gallery-tile"
      data-testid="gallery-tile"
      data-image-id={image.id}
      data-selected={selected ?? undefined}
    >
      {selected !== null ? (
        <input
          type="checkbox"
          className="gallery-check"
          checked={selected}
          onChange={onToggle}
          aria-label={`Select ${name}`}
        />
      ) : null}
      <Link to={`/gallery/${image.id}`} className="gallery-open" aria-label={`Open ${name}`}>
        <img
          src={image.thumbnailUrl ?? image.url}
          alt={name}
          width={image.width}
          height={image.height}
          loading="lazy"
          style={{ aspectRatio: `${image.width} / ${image.height}` }}
        />
      </Link>
      <p className="gallery-caption muted" title={image.prompt}>
        {presetLabel(image.preset)} · {image.prompt}
      </p>
      <div className="gallery-actions">
        <button
          type="button"
          aria-pressed={image.favourite}
          aria-label={`Favourite ${name}`}
          onClick={() => actions.toggleFavourite(image)}
        >
          {image.favourite ? '★' : '☆'}
        </button>
        <a href={image.url} download={galleryFileName(image)} className="button-link" aria-label={`Download ${name}`}>
          ↓
        </a>
        <button type="button" aria-label={`Remix ${name}`} onClick={() => void actions.remix(image)}>
          Remix
        </button>
        <button type="button" aria-label={`Remove ${name}`} onClick={() => void actions.remove(image)}>
          Remove
        </button>
        {children}
      </div>
    </li>
  );
}
