import { z } from 'zod';
import { parseYuanToFen } from '../money.js';
import { startOfDay } from '../time.js';

/** Form schemas of the coordinator's project pages. Messages are message keys, shown per field. */

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const required = (max: number) => z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(max, 'validation.too_long');
const optional = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max, 'validation.too_long').optional()).transform((v) => v ?? null);

/** An ISO date that exists in the calendar (2025-02-30 does not), or nothing. */
const optionalDate = z
  .preprocess(blankToUndefined, z.string().trim().optional())
  .refine((v) => v === undefined || startOfDay(v) !== null, 'coordp.v.date')
  .transform((v) => v ?? null);

/** Basis points: a whole number 0–10000. */
const basisPoints = z
  .string({ error: 'validation.required' })
  .trim()
  .regex(/^[0-9]{1,5}$/, 'coordp.v.bp')
  .transform(Number)
  .pipe(z.number().max(10000, 'coordp.v.bp'));

export const splitFields = {
  householdBp: basisPoints,
  projectFundBp: basisPoints,
  operationsBp: basisPoints,
};

/** The three parts must make the whole: 10000 basis points. The message belongs to the fieldset ("split"). */
function sumsToWhole(s: { householdBp: number; projectFundBp: number; operationsBp: number }, ctx: z.RefinementCtx) {
  if (s.householdBp + s.projectFundBp + s.operationsBp !== 10000) ctx.addIssue({ code: 'custom', path: ['split'], message: 'coordp.v.splitSum' });
}

const projectFields = {
  nameZh: required(60),
  nameEn: optional(80),
  slug: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'coordp.v.slug'),
  fundingSource: optional(60).transform((v) => v ?? ''),
  fundingSourceEn: optional(120),
  startsOn: optionalDate,
  endsOn: optionalDate,
  target: z.preprocess(blankToUndefined, z.string().trim().optional()).transform((v, ctx) => {
    if (v === undefined) return null;
    const fen = parseYuanToFen(v);
    if (fen === null) {
      ctx.addIssue({ code: 'custom', message: 'coordp.v.amount' });
      return z.NEVER;
    }
    return fen;
  }),
  storyZh: optional(4000).transform((v) => v ?? ''),
  storyEn: optional(4000),
};

function periodInOrder(p: { startsOn: string | null; endsOn: string | null }, ctx: z.RefinementCtx) {
  if (p.startsOn && p.endsOn && p.endsOn < p.startsOn) ctx.addIssue({ code: 'custom', path: ['endsOn'], message: 'coordp.v.period' });
}

/** POST /coordinator/projects/:id — the project's details. */
export const projectFormSchema = z.object(projectFields).superRefine(periodInOrder);
export type ProjectForm = z.infer<typeof projectFormSchema>;

/** POST /coordinator/projects — details and the first split rule. */
export const newProjectFormSchema = z.object({ ...projectFields, ...splitFields }).superRefine((v, ctx) => {
  periodInOrder(v, ctx);
  sumsToWhole(v, ctx);
});
export type NewProjectForm = z.infer<typeof newProjectFormSchema>;

/** POST /coordinator/projects/:id/split — a new rule, in force from now on. */
export const splitFormSchema = z.object(splitFields).superRefine(sumsToWhole);
export type SplitForm = z.infer<typeof splitFormSchema>;

const id = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'validation.invalid')
  .transform(Number);

/** POST /coordinator/projects/:id/households — the ticked households (none ticked: the field is absent). */
export const enrolmentFormSchema = z.object({
  householdIds: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(id).max(10000)),
});
