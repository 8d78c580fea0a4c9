import type { CurrentUser } from '../accounts/session-service.js';

/** Who looks at the product page: the signed-in user, or null for a visitor. */
export interface ProductViewer {
  user: CurrentUser | null;
}

/**
 * A section of the product page that another domain adds (the quote form for a buyer acting for an
 * organisation), asked by the catalogue routes what it shows of this product to this viewer. `name`
 * is the view local its part of views/catalog/product.hbs reads; `load` answers it ready to render,
 * or null when it has nothing to show. The sections are handed to the catalogue routes by the
 * composition root (src/app.ts): the catalogue need not know the domains behind them.
 *
 * A section that shows something to a visitor without a session must show the same to all of them:
 * such a page is kept by the page cache (src/plugins/page-cache.ts) and served to everyone.
 */
export interface ProductPageSection {
  readonly name: 'organizationBuyer';
  load(product: { id: number; slug: string }, viewer: ProductViewer): Promise<unknown>;
}

/** The sections' view locals for one product page; a section with nothing to show adds none. */
export async function loadProductSections(
  sections: readonly ProductPageSection[],
  product: { id: number; slug: string },
  viewer: ProductViewer,
): Promise<Record<string, unknown>> {
  const locals: Record<string, unknown> = {};
  for (const section of sections) {
    const value = await section.load(product, viewer);
    if (value !== null && value !== undefined) locals[section.name] = value;
  }
  return locals;
}
