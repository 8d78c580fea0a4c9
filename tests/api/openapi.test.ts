import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../helpers/routes.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** The OpenAPI 3.1 document of the public read API, generated from the routes' zod schemas. */

interface Document {
  openapi: string;
  servers: { url: string }[];
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        summary: string;
        tags: string[];
        parameters?: { name: string; in: string; description?: string; schema: unknown }[];
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
      }
    >
  >;
}

let ctx: TestContext;
let doc: Document;

beforeAll(async () => {
  ctx = await createTestApp();
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = res.json<Document>();
});
afterAll(async () => ctx?.close());

/** /api/v1/products/:slug as OpenAPI writes it: /api/v1/products/{slug}. */
const openApiPath = (pattern: string) => pattern.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every /api/v1 route the app has, and nothing else', () => {
    const apiRoutes = registeredRoutes(ctx.app).filter((r) => r.pattern.startsWith('/api/v1/'));
    expect(apiRoutes.length).toBeGreaterThanOrEqual(11);
    for (const route of apiRoutes) {
      expect(doc.paths[openApiPath(route.pattern)]?.[route.method.toLowerCase()], `${route.method} ${route.pattern}`).toBeDefined();
    }
    const described = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(described.sort()).toEqual(apiRoutes.map((r) => `${r.method} ${openApiPath(r.pattern)}`).sort());
  });

  it('names, tags, summarises and describes the parameters of every operation', () => {
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
        ids.add(op.operationId);
        expect(op.summary.length, `${method} ${path}`).toBeGreaterThan(0);
        expect(op.tags.length).toBe(1);
        for (const p of op.parameters ?? []) expect(p.description, `${p.name} of ${method} ${path}`).toBeTruthy();
        expect(op.responses['200']?.content?.['application/json']?.schema, `${method} ${path}`).toBeDefined();
      }
    }
    expect(ids.size).toBe(described().length);
  });

  it('tells callers the page size they may choose, and its limits', () => {
    const pageSize = doc.paths['/api/v1/products']!.get!.parameters!.find((p) => p.name === 'pageSize');
    expect(pageSize).toMatchObject({ in: 'query', required: false });
  });

  it('names the shop as the server', () => {
    expect(doc.servers).toEqual([{ url: ctx.config.publicUrl }]);
  });
});

const described = () => Object.values(doc.paths).flatMap((m) => Object.values(m));

describe('the API docs page', () => {
  it('lists every operation in the visitor language, without any script', async () => {
    for (const [lang, heading] of [
      ['zh', '商品列表'],
      ['en', 'List products'],
    ] as const) {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/docs?lang=${lang}` });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(heading);
      for (const op of described()) expect(res.body).toContain(`id="${op.operationId}"`);
      expect(res.body).toContain('href="/api/v1/openapi.json"');
      expect(res.body).not.toMatch(/<script/i);
    }
  });
});
