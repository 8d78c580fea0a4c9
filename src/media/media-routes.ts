import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../errors.js';
import type { createMediaService } from './media-service.js';

const mediaParams = z.object({ id: z.string().regex(/^[1-9][0-9]{0,9}$/) });

/** Media bytes never change for an id (content-addressed, re-encoded once): cache for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** True when an If-None-Match header names this ETag (or is "*"). Weak validators match too. */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/** GET /media/:id: a stored image, with a strong ETag of its SHA-256. */
export default async function mediaRoutes(app: FastifyInstance, opts: { media: ReturnType<typeof createMediaService> }) {
  app.withTypeProvider<ZodTypeProvider>().get('/media/:id', { schema: { params: mediaParams } }, async (request, reply) => {
    const row = await opts.media.getPublic(Number(request.params.id));
    if (!row) throw notFound();
    const etag = `"${row.sha256}"`;
    reply.header('etag', etag).header('cache-control', IMMUTABLE);
    if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
    return reply.type(row.contentType).send(row.bytes);
  });
}
