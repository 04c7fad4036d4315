/**
 * Where image bytes live. Keys are relative paths such as `jobs/<jobId>/0.png`; an implementation maps
 * them onto its medium (a directory, or an S3-compatible bucket).
 */
export interface StoredObject {
  key: string;
  bytes: number;
  contentType: string;
}

export interface ListedObject {
  key: string;
  bytes: number;
  modifiedAt: Date;
}

export interface ObjectPage {
  objects: ListedObject[];
  /** Pass as `after` for the next page; null when this page reached the end. */
  next: string | null;
}

export interface ImageStorage {
  /** Writes `body` under `key`, replacing what was there. Readers never see a half-written object. */
  put(key: string, body: Buffer, contentType: string): Promise<StoredObject>;
  /** The object, or null when there is none. */
  get(key: string): Promise<{ body: Buffer; contentType: string; bytes: number } | null>;
  /** Size and type without reading the body, or null when absent. */
  stat(key: string): Promise<{ bytes: number; contentType: string } | null>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /**
   * One page of the objects whose keys start with `prefix` (a folder such as `jobs/`), in key order,
   * after the key `after` (exclusive): each with its size and last change, and the key to continue
   * after, or null at the end. Temporary files of an interrupted `put` are listed too (`.tmp` keys).
   */
  list(options: { prefix: string; after?: string; limit: number }): Promise<ObjectPage>;
  /** Releases connections (S3's HTTP agent); the storage is unusable afterwards. */
  close?(): Promise<void>;
}

/**
 * The key of image `index` of job `jobId`, made by run `run` (the job's claim count) when given. Each
 * run writes its own files, so a run that lost its claim on the job (a worker declared dead that woke
 * up) can never replace or delete the file of the run that took over; the image row names the file kept.
 */
export function imageKey(jobId: string, index: number, extension = 'png', run?: number): string {
  return `${imageStem(jobId, index, run)}.${extension}`;
}

/** The key of the webp thumbnail of image `index` of job `jobId` (made by run `run`, as `imageKey`). */
export function thumbnailKey(jobId: string, index: number, run?: number): string {
  return `${imageStem(jobId, index, run)}.thumb.webp`;
}

function imageStem(jobId: string, index: number, run: number | undefined): string {
  return `jobs/${jobId}/${index}${run === undefined ? '' : `-${run}`}`;
}

/** Throws unless `key` is a plain relative path: no absolute paths, `..`, backslashes or empty segments. */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  const bad =
    key.length === 0 ||
    key.length > 512 ||
    key.includes('\\') ||
    key.includes('\0') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) throw new Error(`invalid storage key ${JSON.stringify(key)}: use relative paths like jobs/<id>/0.png`);
}

/** Throws unless `prefix` is a folder of valid keys, such as `jobs/`. */
export function assertValidPrefix(prefix: string): void {
  if (!prefix.endsWith('/')) throw new Error(`invalid storage prefix ${JSON.stringify(prefix)}: end it with /`);
  assertValidKey(prefix.slice(0, -1));
}
