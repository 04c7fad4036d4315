import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { assertContentTypeMatches } from './content-type.js';
import { assertValidKey, assertValidPrefix, type ImageStorage } from './storage.js';
import { withPutSpans } from './traced.js';

export interface S3StorageOptions {
  bucket: string;
  /** Default us-east-1 (most S3-compatible servers ignore it). */
  region?: string;
  /** An S3-compatible server (MinIO, R2, Ceph...); default AWS. */
  endpoint?: string;
  /** `host/bucket/key` URLs instead of `bucket.host/key`; most self-hosted servers need it. Default false. */
  forcePathStyle?: boolean;
  /** Default: the AWS SDK's credential chain (environment, instance role...). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Prepended to every key, e.g. `darkroom/`. Default none. */
  prefix?: string;
}

/**
 * Image bytes in an S3-compatible bucket. A PUT replaces an object whole, so readers never see half an
 * image; keys are the same relative paths the filesystem storage uses. Every write is a `storage.put`
 * span when traces are on.
 */
export function createS3Storage(options: S3StorageOptions): ImageStorage {
  return withPutSpans(untracedS3Storage(options), 's3');
}

function untracedS3Storage(options: S3StorageOptions): ImageStorage {
  const { bucket, prefix = '' } = options;
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Checksums only where S3 requires them: many S3-compatible servers reject or mangle the SDK's
    // default CRC32 headers and aws-chunked uploads.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const objectKey = (key: string) => {
    assertValidKey(key);
    return `${prefix}${key}`;
  };

  return {
    async put(key, body, contentType) {
      const target = objectKey(key);
      assertContentTypeMatches(key, contentType);
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: target,
          Body: body,
          ContentType: contentType,
          ContentLength: body.length,
        }),
      );
      return { key, bytes: body.length, contentType };
    },
    async get(key) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        const body = Buffer.from(await object.Body!.transformToByteArray());
        return { body, bytes: body.length, contentType: object.ContentType ?? 'application/octet-stream' };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async stat(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        return { bytes: head.ContentLength ?? 0, contentType: head.ContentType ?? 'application/octet-stream' };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async delete(key) {
      // S3 answers 204 for a missing key too, which is the idempotence the interface promises.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
    },
    async list({ prefix: under, after, limit }) {
      assertValidPrefix(under);
      // Keys come back in UTF-8 byte order, which for our ASCII keys is the filesystem's order too.
      // ListObjects (v1) with Marker rather than v2 with StartAfter: the same paging, and s3rver, the
      // S3-compatible server the tests use, fails v2's continuation token on OpenSSL 3.
      const page = await client.send(
        new ListObjectsCommand({
          Bucket: bucket,
          Prefix: `${prefix}${under}`,
          MaxKeys: limit,
          ...(after ? { Marker: `${prefix}${after}` } : {}),
        }),
      );
      const objects = (page.Contents ?? []).map((object) => ({
        key: object.Key!.slice(prefix.length),
        bytes: object.Size ?? 0,
        modifiedAt: object.LastModified ?? new Date(0),
      }));
      return { objects, next: page.IsTruncated && objects.length > 0 ? objects.at(-1)!.key : null };
    },
    async close() {
      client.destroy();
    },
  };
}

/** GET answers NoSuchKey; HEAD has no body, so only its 404 says the object is missing. */
function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  );
}
