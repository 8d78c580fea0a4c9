import { AppError } from '../errors.js';
import { formatDate } from '../time.js';
import type { Translator } from '../i18n/i18n.js';

/**
 * A project sells only within its period: from its start date to its end date, both inclusive,
 * in China Standard Time; an open end (null) does not limit. Outside it, its products are not
 * sold anywhere (cart, checkout, quotes, counter sales) until they are moved to a live project.
 */
export type ProjectPeriodState = 'running' | 'not_started' | 'ended';

export interface ProjectPeriod {
  /** YYYY-MM-DD, inclusive; null = open. */
  startsOn: string | null;
  endsOn: string | null;
}

/** The day (YYYY-MM-DD, CST) the clock reads: what a project's period is compared with. */
export const saleDay = (nowMs: number): string => formatDate(nowMs);

export function projectPeriodState(period: ProjectPeriod, today: string): ProjectPeriodState {
  if (period.startsOn !== null && today < period.startsOn) return 'not_started';
  if (period.endsOn !== null && today > period.endsOn) return 'ended';
  return 'running';
}

/** What a refusal names: the product, its project and the project's period. */
export interface ProductOfProject {
  titleZh: string;
  projectZh: string;
  projectStartsOn: string | null;
  projectEndsOn: string | null;
}

/**
 * The refusal of a sale of `product` on `today` (409, naming the product, its project and the
 * date), or null while its project runs. `field` puts the message next to a form field.
 */
export function projectPeriodRefusal(product: ProductOfProject, today: string, field?: string): AppError | null {
  const state = projectPeriodState({ startsOn: product.projectStartsOn, endsOn: product.projectEndsOn }, today);
  if (state === 'running') return null;
  const code = state === 'ended' ? 'project_ended' : 'project_not_started';
  const date = state === 'ended' ? product.projectEndsOn! : product.projectStartsOn!;
  return new AppError('conflict', code, undefined, {
    params: { title: product.titleZh, project: product.projectZh, date },
    ...(field ? { fields: { [field]: code } } : {}),
  });
}

export function assertProjectRunning(product: ProductOfProject, today: string, field?: string): void {
  const refusal = projectPeriodRefusal(product, today, field);
  if (refusal) throw refusal;
}

/**
 * A project's sales state in staff pages' words ("running", "ended (date); its products are not
 * on sale" …), and whether it sells today.
 */
export function projectPeriodLabel(t: Translator, period: ProjectPeriod, today: string): { onSale: boolean; text: string } {
  const state = projectPeriodState(period, today);
  if (state === 'running') return { onSale: true, text: t('project.period.running') };
  return state === 'ended'
    ? { onSale: false, text: t('project.period.ended', { date: period.endsOn ?? '' }) }
    : { onSale: false, text: t('project.period.not_started', { date: period.startsOn ?? '' }) };
}
