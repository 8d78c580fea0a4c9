import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIn } from '../helpers/auth.js';
import { jpegPhoto, postMultipart } from '../helpers/multipart.js';
import { createTestCluster, type TestCluster } from '../helpers/test-cluster.js';

/**
 * Uploads live in the database (table media: bytes, content type, SHA-256), not on a server's disk:
 * a photo a first secretary uploads through one server is served by every other.
 */

let cluster: TestCluster;

beforeEach(async () => {
  cluster = await createTestCluster(2);
});
afterEach(async () => {
  await cluster.close();
});

const mediaIdsIn = (html: string) => new Set([...html.matchAll(/<img src="\/media\/(\d+)"/g)].map((m) => Number(m[1])));

describe('a product photo on two servers over one database', () => {
  it('is served by the other server, with the same bytes and ETag, as soon as it is uploaded through one', async () => {
    const [first, second] = cluster.servers as [(typeof cluster.servers)[0], (typeof cluster.servers)[0]];
    const productId = first.db.sqlite.prepare(`SELECT id FROM products WHERE slug = 'gulou-shiitake'`).pluck().get() as number;
    // The other server has the product page cached before the upload.
    const before = await second.app.inject({ method: 'GET', url: '/products/gulou-shiitake' });
    expect(before.statusCode).toBe(200);

    const secretary = await signIn(first.app, 'secretary.gulou@xiangyi.test');
    const uploaded = await postMultipart(
      first.app,
      secretary,
      `/secretary/products/${productId}/photos`,
      {},
      await jpegPhoto(),
      `/secretary/products/${productId}`,
    );
    expect(uploaded.statusCode).toBe(303);

    const after = await second.app.inject({ method: 'GET', url: '/products/gulou-shiitake' });
    const added = [...mediaIdsIn(after.body)].filter((id) => !mediaIdsIn(before.body).has(id));
    expect(added.length).toBeGreaterThan(0);
    for (const id of added) {
      const [there, here] = await Promise.all([
        first.app.inject({ method: 'GET', url: `/media/${id}` }),
        second.app.inject({ method: 'GET', url: `/media/${id}` }),
      ]);
      expect(here.statusCode).toBe(200);
      expect(here.headers['content-type']).toBe('image/webp');
      expect(here.headers.etag).toBe(there.headers.etag);
      expect(here.rawPayload.equals(there.rawPayload)).toBe(true);
    }
  });
});
