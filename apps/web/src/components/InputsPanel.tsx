import { REFERENCE_ROLES, type ProviderName } from '@darkroom/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type DragEvent } from 'react';
import { useSearchParams } from 'react-router';
import { inputsKind, KIND_WORDS, providerProblem, type InputPicture, type InputsState } from '../lib/inputs-form.js';
import { uploadAsset, UploadError } from '../lib/upload.js';
import { useTRPC } from '../trpc.js';
import { MaskEditor } from './MaskEditor.js';
import '../inputs.css';

/** What a thumbnail is used as: the image to transform, or a reference with a role. */
const USES = ['image', ...REFERENCE_ROLES] as const;
const USE_WORDS: Record<string, string> = {
  image: 'Image to transform',
  subject: 'Reference: subject',
  style: 'Reference: style',
  product: 'Reference: product',
  person: 'Reference: person',
  background: 'Reference: background',
};

/**
 * The generate form's image inputs: drop, paste or pick files (or "use this result", which arrives as
 * `?input=<image id>`); each is uploaded as an asset and shown as a thumbnail with what it is used as
 * and a remove button; the image to transform gets a strength and a mask brush. It says which kind of
 * job the inputs make and, in plain words, what the chosen provider cannot do with them.
 */
export function InputsPanel({
  value,
  onChange,
  provider,
  needs = [],
}: {
  value: InputsState;
  onChange: (next: (current: InputsState) => InputsState) => void;
  provider: ProviderName;
  /** Reference roles the chosen preset needs (asked for by name). */
  needs?: readonly string[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const roleInput = useRef<HTMLInputElement>(null);
  const pickingRole = useRef<string | undefined>(undefined);
  const [uploading, setUploading] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [masking, setMasking] = useState(false);
  const [savingMask, setSavingMask] = useState(false);

  // A preset made from references takes each new picture as its first missing role.
  const add = (picture: InputPicture, role?: string) =>
    onChange((current) => {
      const wanted = role ?? needs.find((need) => !current.references.some((reference) => reference.role === need));
      return !wanted && !current.image
        ? { ...current, image: picture, mask: null }
        : { ...current, references: [...current.references, { picture, role: wanted ?? 'subject' }] };
    });
  const addFiles = async (files: Iterable<File>, role?: string) => {
    setProblem(null);
    for (const file of files) {
      setUploading((n) => n + 1);
      try {
        const asset = await uploadAsset(file, file.name || 'pasted image');
        add({ ...asset, name: file.name || 'pasted image' }, role);
      } catch (error) {
        setProblem(error instanceof UploadError ? error.message : `${file.name} could not be uploaded.`);
      } finally {
        setUploading((n) => n - 1);
      }
    }
  };

  // Paste anywhere on the page: an image on the clipboard becomes an input (text pastes are left alone).
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const files = [...(event.clipboardData?.files ?? [])].filter((file) => file.type.startsWith('image/'));
      if (files.length === 0) return;
      event.preventDefault();
      void addFiles(files);
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  });

  // "Use this result" from the image view or a job card.
  const [search, setSearch] = useSearchParams();
  const resultId = search.get('input');
  useEffect(() => {
    if (!resultId) return;
    setSearch(
      (current) => {
        current.delete('input');
        return current;
      },
      { replace: true },
    );
    queryClient
      .fetchQuery(trpc.gallery.get.queryOptions({ id: resultId }))
      .then((image) =>
        add({
          ...image,
          thumbnailUrl: image.thumbnailUrl,
          name: `result image ${image.index + 1} of “${image.prompt}”`,
        }),
      )
      .catch(() => setProblem('That image is not yours or no longer exists.'));
  }, [resultId]);

  const setUse = (picture: InputPicture, use: string) =>
    onChange((current) => {
      const others = current.references.filter((reference) => reference.picture.id !== picture.id);
      if (use === 'image') {
        const demoted =
          current.image && current.image.id !== picture.id ? [{ picture: current.image, role: 'subject' }] : [];
        return { ...current, image: picture, mask: null, references: [...demoted, ...others] };
      }
      const references =
        current.image?.id === picture.id
          ? [...current.references, { picture, role: use }]
          : current.references.map((reference) =>
              reference.picture.id === picture.id ? { ...reference, role: use } : reference,
            );
      return {
        ...current,
        image: current.image?.id === picture.id ? null : current.image,
        mask: current.image?.id === picture.id ? null : current.mask,
        references,
      };
    });
  const remove = (picture: InputPicture) =>
    onChange((current) =>
      current.image?.id === picture.id
        ? { ...current, image: null, mask: null }
        : { ...current, references: current.references.filter((reference) => reference.picture.id !== picture.id) },
    );

  const saveMask = async (blob: Blob) => {
    setSavingMask(true);
    setProblem(null);
    try {
      const asset = await uploadAsset(blob, 'mask.png');
      onChange((current) => ({ ...current, mask: { id: asset.id, url: asset.url } }));
      setMasking(false);
    } catch (error) {
      setProblem(error instanceof UploadError ? error.message : 'The mask could not be uploaded.');
    } finally {
      setSavingMask(false);
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void addFiles(event.dataTransfer.files);
  };
  const pictures = [
    ...(value.image ? [{ picture: value.image, use: 'image' }] : []),
    ...value.references.map(({ picture, role }) => ({ picture, use: role })),
  ];
  const kind = inputsKind(value);
  const cannot = providerProblem(provider, value);
  const missing = needs.filter((role) => !value.references.some((reference) => reference.role === role));

  return (
    <div className="inputs-panel" data-testid="inputs-panel">
      <div
        className={`drop-zone ${dragging ? 'dragging' : ''}`}
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <span>Drop or paste images, or</span>{' '}
        <button type="button" onClick={() => fileInput.current?.click()}>
          Choose files…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="image/png,image/jpeg,image/webp"
          multiple
          hidden
          aria-label="Choose images"
          data-testid="input-files"
          onChange={(event) => {
            void addFiles([...(event.target.files ?? [])]);
            event.target.value = '';
          }}
        />
        {uploading > 0 ? (
          <span className="muted" role="status">
            {' '}
            Uploading {uploading}…
          </span>
        ) : null}
      </div>
      {needs.length > 0 ? (
        <div className="preset-needs" data-testid="preset-needs">
          <p>
            This preset is made from {needs.map((role) => `a ${role} image`).join(' and ')}
            {missing.length ? '.' : ': all there.'}
          </p>
          {missing.map((role) => (
            <button
              key={role}
              type="button"
              onClick={() => {
                pickingRole.current = role;
                roleInput.current?.click();
              }}
            >
              Add the {role} image…
            </button>
          ))}
          <input
            ref={roleInput}
            type="file"
            accept="image/png,image/jpeg,image/webp"
            hidden
            aria-label="Choose the image for the preset"
            data-testid="role-file"
            onChange={(event) => {
              void addFiles([...(event.target.files ?? [])], pickingRole.current);
              event.target.value = '';
            }}
          />
        </div>
      ) : null}
      {pictures.length > 0 ? (
        <ul className="input-thumbs" aria-label="Input images">
          {pictures.map(({ picture, use }) => (
            <li key={picture.id} className="input-thumb" data-testid="input-thumb">
              <img src={picture.thumbnailUrl ?? picture.url} alt={picture.name} width={72} height={72} />
              <label className="sr-only" htmlFor={`${id}-use-${picture.id}`}>
                Use {picture.name} as
              </label>
              <select
                id={`${id}-use-${picture.id}`}
                value={use}
                onChange={(event) => setUse(picture, event.target.value)}
              >
                {[...new Set([...USES, ...needs, use])].map((option) => (
                  <option key={option} value={option}>
                    {USE_WORDS[option] ?? `Reference: ${option}`}
                  </option>
                ))}
              </select>
              <button type="button" onClick={() => remove(picture)} aria-label={`Remove ${picture.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {value.image ? (
        <div className="input-image-options">
          {value.mask ? (
            <p>
              <span data-testid="mask-status">Mask painted: only that area is made again.</span>{' '}
              <button type="button" onClick={() => setMasking(true)}>
                Paint again
              </button>{' '}
              <button type="button" onClick={() => onChange((current) => ({ ...current, mask: null }))}>
                Remove mask
              </button>
            </p>
          ) : (
            <>
              <label htmlFor={`${id}-strength`}>
                Strength: how far from your image{' '}
                <output htmlFor={`${id}-strength`}>{value.strength.toFixed(2)}</output>
              </label>
              <input
                id={`${id}-strength`}
                type="range"
                min={0}
                max={1}
                step={0.05}
                value={value.strength}
                onChange={(event) => {
                  const strength = Number(event.target.value);
                  onChange((current) => ({ ...current, strength }));
                }}
              />
              <button type="button" onClick={() => setMasking(true)} disabled={masking}>
                Paint a region to change…
              </button>
            </>
          )}
        </div>
      ) : null}
      {masking && value.image ? (
        <MaskEditor
          picture={value.image}
          busy={savingMask}
          onSave={(blob) => void saveMask(blob)}
          onCancel={() => setMasking(false)}
        />
      ) : null}
      {pictures.length > 0 ? (
        <p className="hint" data-testid="input-kind">
          This job: {KIND_WORDS[kind]}.
        </p>
      ) : null}
      {cannot ? (
        <p className="field-error" role="alert" data-testid="input-provider-problem">
          {cannot}
        </p>
      ) : null}
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
    </div>
  );
}
