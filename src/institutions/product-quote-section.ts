import type { ProductPageSection } from '../catalog/index.js';
import type { InstitutionalService } from './institutional-service.js';

/**
 * The product page's quote form, shown to a buyer acting for an organisation (views/catalog/product.hbs
 * reads `organizationBuyer`); nothing for anyone else, so a visitor's page stays the shared one.
 */
export function organizationBuyerSection(institutional: Pick<InstitutionalService, 'isOrganizationBuyer'>): ProductPageSection {
  return {
    name: 'organizationBuyer',
    load: async (_product, { user }) => (user?.role === 'buyer' && (await institutional.isOrganizationBuyer(user))) || null,
  };
}
