import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { IMAGE_FIELD, IMAGE_MEDIA_TYPES } from './image-body.js';

/** The request body of the v1 task endpoints, which Fastify does not validate (binary), for the document only. */
const IMAGE_REQUEST_BODY = {
  required: true,
  description: `One image: the raw bytes, or multipart/form-data with the file in field '${IMAGE_FIELD}'.`,
  content: {
    ...Object.fromEntries(IMAGE_MEDIA_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
    'multipart/form-data': {
      schema: { type: 'object', required: [IMAGE_FIELD], properties: { [IMAGE_FIELD]: { type: 'string', format: 'binary' } } },
    },
  },
};

/**
 * OpenAPI 3.1 (JSON Schema 2020-12 keywords, as TypeBox emits them) generated from the route schemas (the same TypeBox schemas that validate requests), served with
 * Swagger UI at /docs (assets bundled with @fastify/swagger-ui, nothing fetched from the network);
 * the raw document is at /docs/json.
 */
export default fp(
  async function openapi(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'stitchserve',
          description: 'Inference for stitchable ViT families: a deadline-aware controller picks a stitch per request.',
          version: '0.1.0',
        },
        tags: [
          { name: 'tasks', description: 'v1 task endpoints' },
          { name: 'models', description: 'the served family' },
          { name: 'kserve', description: 'KServe Open Inference Protocol v2' },
          { name: 'health', description: 'probes and metrics' },
        ],
      },
      transform: ({ schema, url, route }) => {
        const body = route.method === 'POST' && url.startsWith('/v1/') ? { body: undefined } : {};
        return { schema: { ...schema, ...body }, url };
      },
      transformObject: (document) => {
        if (!('openapiObject' in document)) return document.swaggerObject;
        const paths = (document.openapiObject.paths ?? {}) as Record<string, { post?: Record<string, unknown> }>;
        for (const [path, item] of Object.entries(paths)) {
          if (path.startsWith('/v1/') && item.post !== undefined) item.post['requestBody'] = IMAGE_REQUEST_BODY;
        }
        return document.openapiObject;
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'openapi' },
);
