import { AppError } from '../errors.js';
import { assertProjectRunning } from '../projects/project-period.js';
import type { SellableProduct } from './cart-queries.js';

/** The unit price for a quantity: the bulk tier with the largest threshold reached, else retail. */
export function unitPriceFor(priceFen: number, tiers: readonly { minQty: number; priceFen: number }[], quantity: number): number {
  let price = priceFen;
  for (const tier of tiers) if (quantity >= tier.minQty && tier.priceFen < price) price = tier.priceFen;
  return price;
}

/** Largest quantity one retail order line may have. */
export const MAX_LINE_QUANTITY = 100_000;

/**
 * Checks a quantity against what the product allows: published, its project running on `today`
 * (YYYY-MM-DD, CST), whole units, at least the minimum order, at most the retail limit and the
 * stock left. Throws an AppError with a stable code.
 */
export function checkQuantity(product: SellableProduct | undefined, quantity: number, today: string): asserts product is SellableProduct {
  if (!product?.published) throw new AppError('not_found', 'product_not_found');
  assertProjectRunning(product, today);
  const unit = product.unit;
  if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_LINE_QUANTITY) {
    throw new AppError('validation', 'quantity_invalid', undefined, { params: { title: product.titleZh } });
  }
  if (product.stock <= 0) throw new AppError('conflict', 'sold_out', undefined, { params: { title: product.titleZh } });
  if (quantity < product.minOrderQty) {
    throw new AppError('validation', 'below_min_order', undefined, { params: { title: product.titleZh, min: product.minOrderQty, unit } });
  }
  if (product.maxRetailQty !== null && quantity > product.maxRetailQty) {
    throw new AppError('validation', 'above_retail_limit', undefined, { params: { title: product.titleZh, max: product.maxRetailQty, unit } });
  }
  if (quantity > product.stock) {
    throw new AppError('conflict', 'not_enough_stock', undefined, { params: { title: product.titleZh, stock: product.stock, unit } });
  }
}

/** Shipping per village parcel: the village's flat fee, free at or above its threshold. */
export function shippingFeeFor(village: { shippingFeeFen: number; freeShippingOverFen: number | null }, subtotalFen: number): number {
  if (village.freeShippingOverFen !== null && subtotalFen >= village.freeShippingOverFen) return 0;
  return village.shippingFeeFen;
}

/**
 * What is left to buy from a village for its parcel to ship free (fen), or null when it already does
 * or never will.
 */
export function leftForFreeShipping(village: { shippingFeeFen: number; freeShippingOverFen: number | null }, subtotalFen: number): number | null {
  if (village.freeShippingOverFen === null || shippingFeeFor(village, subtotalFen) === 0) return null;
  return village.freeShippingOverFen - subtotalFen;
}
