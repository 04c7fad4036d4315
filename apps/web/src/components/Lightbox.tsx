/**
 * One image large, over the page. Esc closes, the arrow keys move between the job's images; focus
 * stays in the dialog while it is open and goes back to what opened it.
 */
import { useEffect, useRef } from 'react';

export interface LightboxImage {
  url: string;
  /** The image's own number in its job (0-based), which a failed image before it does not shift. */
  index: number;
  alt: string;
  fileName: string;
  width: number;
  height: number;
}

export function Lightbox({
  images,
  index,
  onIndex,
  onClose,
}: {
  images: LightboxImage[];
  index: number;
  onIndex: (index: number) => void;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDivElement>(null);
  const image = images[index];
  const move = (step: number) => onIndex((index + step + images.length) % images.length);

  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.focus();
    return () => opener?.focus();
  }, []);

  if (!image) return null;
  return (
    <div className="lightbox-backdrop" onClick={onClose}>
      <div
        ref={dialog}
        className="lightbox"
        role="dialog"
        aria-modal="true"
        aria-label={`Image ${image.index + 1}`}
        data-testid="lightbox"
        tabIndex={-1}
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => {
          if (event.key === 'Tab') {
            // Keep keyboard focus inside the dialog while it is open.
            const focusable = Array.from(
              dialog.current?.querySelectorAll<HTMLElement>('button:not(:disabled), a[href]') ?? [],
            );
            const first = focusable[0];
            const last = focusable.at(-1);
            if (event.shiftKey && (document.activeElement === first || document.activeElement === dialog.current))
              last?.focus();
            else if (!event.shiftKey && document.activeElement === last) first?.focus();
            else return;
            event.preventDefault();
            return;
          }
          if (event.key === 'Escape') onClose();
          else if (event.key === 'ArrowRight') move(1);
          else if (event.key === 'ArrowLeft') move(-1);
          else return;
          event.preventDefault();
        }}
      >
        <img
          src={image.url}
          alt={image.alt}
          width={image.width}
          height={image.height}
          style={{ aspectRatio: `${image.width} / ${image.height}` }}
        />
        <div className="lightbox-bar">
          <button type="button" onClick={() => move(-1)} disabled={images.length < 2} aria-label="Previous image">
            ←
          </button>
          <strong data-testid="lightbox-title">Image {image.index + 1}</strong>
          <span className="muted" data-testid="lightbox-position">
            {index + 1} / {images.length}
          </span>
          <button type="button" onClick={() => move(1)} disabled={images.length < 2} aria-label="Next image">
            →
          </button>
          <a className="button-link" href={image.url} download={image.fileName}>
            Download
          </a>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
