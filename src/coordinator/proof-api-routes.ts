import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { commonResponses, langQuery, operation, presentFigures } from '../api/api-schemas.js';
import { pickText, type Locale } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import { benefitBreakdown } from '../orders/benefit.js';
import type { ReceiptService } from '../orders/receipt-service.js';
import type { ImpactService, NamedHouseholds } from './impact-service.js';
import { impactSchema, receiptSchema } from './proof-api-schemas.js';
import { receiptParams } from './proof-schemas.js';

type Named = { id: number; slug: string; nameZh: string; nameEn: string | null };

const iso = (ms: number) => new Date(ms).toISOString();

/** The same disclosure as /impact: consented names, in groups of 3 or more only (ImpactService decides). */
const presentNamed = (h: NamedHouseholds | null) => (h === null ? null : { named: h.named, unnamed: h.unnamed });

/**
 * Public proof in JSON (under /api/v1): the impact figures of /impact and the benefit receipts of
 * /receipts/:code, from the same services, so the same disclosure rules hold.
 */
export default async function proofApiRoutes(
  root: FastifyInstance,
  deps: { impact: ImpactService; receipts: ReceiptService; villageNames: () => Promise<Named[]>; projects: () => Promise<Named[]> },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();

  const refs = async (locale: Locale) => {
    const ref = (s: Named | undefined) => ({ slug: s?.slug ?? '', name: s ? pickText(locale, s.nameZh, s.nameEn) : '' });
    const villages = new Map((await deps.villageNames()).map((v) => [v.id, v]));
    const projects = new Map((await deps.projects()).map((p) => [p.id, p]));
    return { village: (id: number) => ref(villages.get(id)), project: (id: number) => ref(projects.get(id)) };
  };

  app.get(
    '/impact',
    {
      config: { pageCache: { scopes: ['catalogue', 'figures'] } },
      schema: {
        ...operation('getImpact', 'proof'),
        querystring: langQuery,
        response: { 200: impactSchema.describe('The public figures'), ...commonResponses },
      },
    },
    async (request) => {
      const { locale } = request;
      const page = await deps.impact.impactPage();
      const scope = (kind: 'projects' | 'villages') =>
        page[kind].map((s) => ({
          slug: s.subject.slug,
          name: pickText(locale, s.subject.nameZh, s.subject.nameEn),
          url: `/${kind}/${s.subject.slug}`,
          figures: presentFigures(s.figures),
          households: presentNamed(s.households),
        }));
      return { shop: presentFigures(page.shop), projects: scope('projects'), villages: scope('villages') };
    },
  );

  app.get(
    '/receipts/:code',
    {
      schema: {
        ...operation('getReceipt', 'proof'),
        params: receiptParams,
        querystring: langQuery,
        response: { 200: receiptSchema.describe('The benefit receipt'), ...commonResponses },
      },
    },
    async (request, reply) => {
      const { locale } = request;
      const { code } = request.params;
      const r = await deps.receipts.receipt(code);
      const { village, project } = await refs(locale);
      const b = r.benefit ? benefitBreakdown(r.benefit) : null;
      // The code in the address is the key to the receipt: not for shared caches, referrers or search engines.
      reply.header('cache-control', 'private, no-cache').header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex');
      const answer: z.infer<typeof receiptSchema> = {
        code,
        url: `/receipts/${code}`,
        status: r.status,
        paid: r.paid,
        placedAt: iso(r.placedAt),
        paidAt: r.paidAt === null ? null : iso(r.paidAt),
        totalFen: r.totalFen,
        total: formatFen(r.totalFen),
        refundedFen: r.refundedFen,
        lines: r.lines.map((l) => ({
          title: pickText(locale, l.titleZh, l.titleEn),
          quantity: l.quantity,
          unit: l.unit,
          lineTotalFen: l.lineTotalFen,
          lineTotal: formatFen(l.lineTotalFen),
        })),
        benefit: b && {
          households: b.households.map((g) => ({
            village: village(g.villageId),
            project: project(g.projectId),
            amountFen: g.amountFen,
            amount: formatFen(g.amountFen),
            count: g.count,
            names: g.names,
          })),
          projectFunds: b.funds.map((f) => ({ project: project(f.projectId), amountFen: f.amountFen, amount: formatFen(f.amountFen) })),
          operationsFen: b.operationsFen,
          shippingFen: b.shippingFen,
        },
        payouts: r.groups.map((g) => ({ village: village(g.villageId), project: project(g.projectId), households: g.households, state: g.payout })),
        posting: r.posting && {
          id: r.posting.id,
          hash: r.posting.hash,
          prevHash: r.posting.prevHash,
          postedAt: iso(r.posting.postedAt),
          period: r.posting.period,
        },
      };
      return answer;
    },
  );
}
