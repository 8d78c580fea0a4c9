import type { FastifyRequest } from 'fastify';
import { CATALOGUE_TOKEN_MS } from './security.js';

/*
 * What identifies a cached page (src/plugins/page-cache.ts) and when it must be rendered again
 * whatever the data: its canonical key, the clock's next boundary, a browser's If-None-Match.
 */

const CST_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;

/**
 * When what a page shows changes with the clock alone: the catalogue token's hour (src/plugins/security.ts)
 * and midnight in China (a project's period, "today"). No rendering, in this cache or a CDN, outlives it.
 */
export function clockBoundary(now: number): number {
  const nextHour = (Math.floor(now / CATALOGUE_TOKEN_MS) + 1) * CATALOGUE_TOKEN_MS;
  const nextMidnight = (Math.floor((now + CST_OFFSET_MS) / DAY_MS) + 1) * DAY_MS - CST_OFFSET_MS;
  return Math.min(nextHour, nextMidnight);
}

/** If-None-Match against a weak ETag (weak comparison, RFC 9110 §13.1.2). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.slice(2);
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === opaque;
  });
}

interface ZodLike {
  safeParse(value: unknown): { success: boolean; data?: unknown };
}

/**
 * The cache key of a request: its language, route and path parameters, and the query as the
 * route's own schema reads it — parameters the route ignores dropped, values as validated (trimmed,
 * page 1 the same as no page), keys sorted. Null when the query is invalid: such a page is not kept.
 */
export function canonicalKey(request: FastifyRequest, locale: string): string | null {
  const schema = request.routeOptions.schema?.querystring as ZodLike | undefined;
  let query: Record<string, unknown> = {};
  if (schema && typeof schema.safeParse === 'function') {
    const parsed = schema.safeParse(request.query ?? {});
    if (!parsed.success) return null;
    query = (parsed.data ?? {}) as Record<string, unknown>;
  }
  const parts: string[] = [];
  for (const name of Object.keys(query).sort()) {
    const value = query[name];
    if (value === undefined || name === 'lang' || (name === 'page' && value === 1)) continue;
    parts.push(`${name}=${JSON.stringify(value)}`);
  }
  return `${locale}\u0001${request.routeOptions.url ?? ''}\u0001${JSON.stringify(request.params ?? {})}\u0001${parts.join('&')}`;
}
