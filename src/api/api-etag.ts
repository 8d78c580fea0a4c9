import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { API_PREFIX } from './api-schemas.js';

/** If-None-Match against an ETag, by weak comparison (RFC 9110 §13.1.2). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === opaque;
  });
}

/**
 * ETags for every answer of the public read API: the page cache's when it kept the answer, else a
 * weak validator of the body; a request whose If-None-Match still matches gets 304 and no body.
 * Registered at the root after the page cache and before compression, whose onSend hooks bracket it.
 */
export default fp(
  async function apiEtag(app: FastifyInstance) {
    app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      const route = request.routeOptions.url;
      if (reply.statusCode !== 200 || (request.method !== 'GET' && request.method !== 'HEAD') || !route?.startsWith(`${API_PREFIX}/`))
        return done(null, payload);
      let etag = reply.getHeader('etag');
      if (etag === undefined) {
        if (typeof payload !== 'string') return done(null, payload);
        etag = `W/"${createHash('sha1').update(payload).digest('base64url')}"`;
        reply.header('etag', etag);
      }
      if (matches(request.headers['if-none-match'], String(etag))) {
        reply.code(304);
        return done(null, '');
      }
      done(null, payload);
    });
  },
  { name: 'api-etag' },
);
