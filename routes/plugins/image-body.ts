import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import multipart from '@fastify/multipart';
import type { LimitsConfig } from '../../src/config/index.js';
import { ServiceError, isServiceError } from '../../src/errors.js';

/** Media types accepted as a raw image body (octet-stream: the bytes are sniffed, as for every type). */
export const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/tiff', 'image/gif', 'application/octet-stream'] as const;

/** The multipart field that carries the image. */
export const IMAGE_FIELD = 'image';

/**
 * Body parsing for images: raw bodies of the image media types become Buffers (byte limit enforced while
 * reading), multipart/form-data is left to `readImageBody` (streamed, with file-size, parts and field limits).
 */
export default fp(
  async function imageBody(app: FastifyInstance, options: { limits: LimitsConfig }) {
    const { limits } = options;
    app.addContentTypeParser([...IMAGE_MEDIA_TYPES], { parseAs: 'buffer', bodyLimit: limits.bodyBytes }, (_request, body, done) => done(null, body));
    await app.register(multipart, {
      throwFileSizeLimit: true,
      limits: {
        fileSize: limits.bodyBytes,
        files: 1,
        parts: limits.multipart.parts,
        fields: limits.multipart.parts,
        fieldSize: limits.multipart.fieldBytes,
        headerPairs: 100,
      },
    });
  },
  { name: 'image-body' },
);

async function readMultipartImage(request: FastifyRequest): Promise<Buffer> {
  let image: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      // Every part is consumed (files and fields alike) so the body is read to the end and limits apply.
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (part.fieldname === IMAGE_FIELD && image === undefined) image = bytes;
      }
    }
  } catch (err) {
    if (isServiceError(err) || (err as { code?: string }).code?.startsWith('FST_')) throw err;
    throw new ServiceError('BAD_REQUEST', `The multipart body is malformed (${(err as Error).message}); send one file field named '${IMAGE_FIELD}'.`, { cause: err });
  }
  if (image === undefined) throw new ServiceError('MISSING_IMAGE_FIELD', `The multipart body has no file field named '${IMAGE_FIELD}'.`);
  return image;
}

/**
 * The image bytes of a task request: the raw body, or the multipart file field `image`. Throws
 * UNSUPPORTED_MEDIA_TYPE (another body type), EMPTY_BODY, MISSING_IMAGE_FIELD or BAD_REQUEST.
 */
export async function readImageBody(request: FastifyRequest): Promise<Buffer> {
  const bytes = request.isMultipart() ? await readMultipartImage(request) : request.body;
  if (bytes === undefined || bytes === null || (Buffer.isBuffer(bytes) && bytes.length === 0)) {
    throw new ServiceError('EMPTY_BODY', 'The request has no image; send the image bytes as the body or as the multipart field \'image\'.');
  }
  if (!Buffer.isBuffer(bytes)) {
    throw new ServiceError('UNSUPPORTED_MEDIA_TYPE', `Send the image with Content-Type ${IMAGE_MEDIA_TYPES.slice(0, 6).join(', ')} or as multipart/form-data.`);
  }
  return bytes;
}
