import { pickText, type Locale, type Translator } from '../i18n/i18n.js';
import { fundingSourceIn } from '../projects/index.js';
import { regionLine } from '../villages/region-names.js';
import { formatFen } from '../money.js';
import type { Project, Village } from './catalog-queries.js';
import type { ProductCard } from './listing-queries.js';
import type { ListingPage } from './catalog-service.js';
import type { ListingQuery } from './catalog-schemas.js';

/** Shapes catalog rows for templates and the JSON API. No private household data ever passes here. */

export const mediaUrl = (id: number | null) => (id ? `/media/${id}` : null);

export function unitLabel(t: Translator, unit: string): string {
  return t(`unit.${unit}` as Parameters<Translator>[0]);
}

export function presentCard(row: ProductCard, locale: Locale, t: Translator) {
  return {
    slug: row.slug,
    url: `/products/${row.slug}`,
    title: pickText(locale, row.titleZh, row.titleEn),
    price: formatFen(row.priceFen),
    priceFen: row.priceFen,
    unit: unitLabel(t, row.unit),
    soldOut: row.stock <= 0,
    village: pickText(locale, row.villageZh, row.villageEn),
    villageSlug: row.villageSlug,
    producer: pickText(locale, row.producerZh, row.producerEn),
    category: row.category,
    photoUrl: mediaUrl(row.photoId),
  };
}

export function presentVillage(v: Village, locale: Locale) {
  return {
    slug: v.slug,
    url: `/villages/${v.slug}`,
    name: pickText(locale, v.nameZh, v.nameEn),
    region: regionLine(locale, v),
  };
}

export function presentProject(p: Project, locale: Locale) {
  return {
    slug: p.slug,
    url: `/projects/${p.slug}`,
    name: pickText(locale, p.nameZh, p.nameEn),
    story: pickText(locale, p.storyZh, p.storyEn),
    fundingSource: fundingSourceIn(locale, p.fundingSource, p.fundingSourceEn),
    period: p.startsOn || p.endsOn ? `${p.startsOn ?? '…'} – ${p.endsOn ?? '…'}` : null,
    target: p.targetFen === null ? null : formatFen(p.targetFen),
  };
}

/** Builds /products?… keeping the current filters, with some of them replaced. */
export function listingUrl(query: ListingQuery, changes: Partial<Record<keyof ListingQuery, string | number | undefined>>): string {
  const merged: Record<string, string | number | undefined> = {
    q: query.q,
    category: query.category,
    village: query.village,
    project: query.project,
    sort: query.sort,
    page: query.page,
    ...changes,
  };
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined && value !== '' && !(key === 'page' && value === 1)) params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `/products?${qs}` : '/products';
}

export function presentPagination(page: ListingPage) {
  const { query } = page;
  return {
    page: page.page,
    pages: page.pages,
    show: page.pages > 1,
    prevUrl: page.page > 1 ? listingUrl(query, { page: page.page - 1 }) : null,
    nextUrl: page.page < page.pages ? listingUrl(query, { page: page.page + 1 }) : null,
  };
}
