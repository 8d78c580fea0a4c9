import fastifySwagger, { type SwaggerTransform } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { hasMessage, translate, type MessageKey } from '../i18n/i18n.js';
import { API_PREFIX } from './api-schemas.js';

/** Adds each parameter's description (api.param.<name>, in English) to a generated JSON schema's properties. */
function describeParameters(schema: unknown): void {
  const properties = (schema as { properties?: Record<string, { description?: string }> } | undefined)?.properties;
  if (!properties) return;
  for (const [name, property] of Object.entries(properties)) {
    const key = `api.param.${name}`;
    if (!property.description && hasMessage(key)) property.description = translate('en', key as MessageKey);
  }
}

/**
 * Only the public read API is described: the zod schemas its routes validate and serialize with
 * become the document's parameters and responses (fastify-type-provider-zod's transform). Every
 * other route (pages, forms, webhooks) is left out.
 */
const apiOnly: SwaggerTransform = (document) => {
  if (!document.url.startsWith(`${API_PREFIX}/`)) return { schema: { hide: true }, url: document.url };
  const transformed = jsonSchemaTransform(document as Parameters<typeof jsonSchemaTransform>[0]);
  describeParameters(transformed.schema.querystring);
  describeParameters(transformed.schema.params);
  return transformed;
};

/** Registers @fastify/swagger (OpenAPI 3.1) before any route, so it sees them all. */
export async function registerOpenApi(app: FastifyInstance, opts: { publicUrl: string }): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Xiangyi 乡益 public API',
        version: '1.0.0',
        description: [
          translate('en', 'api.docs.intro'),
          translate('en', 'api.docs.cors'),
          translate('en', 'api.docs.etag'),
          translate('en', 'api.docs.paging'),
          translate('en', 'api.docs.errors'),
          translate('en', 'api.docs.requestId'),
        ].join('\n\n'),
      },
      servers: [{ url: opts.publicUrl }],
      tags: [
        { name: 'catalogue', description: 'Products, villages and projects' },
        { name: 'proof', description: 'Impact figures and benefit receipts, from the ledger' },
        { name: 'wishes', description: 'Micro-wishes (微心愿)' },
        { name: 'meta', description: 'This description' },
      ],
    },
    transform: apiOnly,
  });
}
