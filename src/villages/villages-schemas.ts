import { z } from 'zod';
import { PRODUCER_KINDS } from './schema.js';

/** Form schemas of the household register and producers. Messages are message keys. */

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number) => z.string().trim().max(max, 'validation.too_long');
const optionalText = (max: number) => z.preprocess(blank, text(max).optional()).transform((v) => v ?? null);
const checkbox = z
  .literal('on')
  .optional()
  .transform((v) => v === 'on');
export const idString = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'validation.invalid')
  .transform(Number);

export const householdFormSchema = z.object({
  villageId: z.preprocess(blank, idString.optional()).pipe(z.number({ error: 'validation.required' })),
  realName: text(40).min(1, 'validation.required'),
  displayName: optionalText(20),
  publicStoryZh: optionalText(2000),
  publicStoryEn: optionalText(2000),
  members: z
    .string({ error: 'validation.required' })
    .trim()
    .regex(/^[0-9]{1,2}$/, 'validation.members')
    .transform(Number)
    .pipe(z.number().int().min(1, 'validation.members').max(50, 'validation.members')),
  phone: z
    .preprocess(
      blank,
      z
        .string()
        .trim()
        .regex(/^1[0-9]{10}$/, 'validation.phone')
        .optional(),
    )
    .transform((v) => v ?? null),
  idCardLast4: z
    .preprocess(
      blank,
      z
        .string()
        .trim()
        .regex(/^[0-9]{3}[0-9Xx]$/, 'validation.id_card_last4')
        .optional(),
    )
    .transform((v) => (v ? v.toUpperCase() : null)),
  povertyRegNo: z
    .preprocess(
      blank,
      z
        .string()
        .trim()
        .regex(/^[0-9A-Za-z-]{4,30}$/, 'validation.poverty_reg_no')
        .optional(),
    )
    .transform((v) => v ?? null),
  // For bank-transfer payouts (批量代发): private like the fields above.
  bankAccountName: optionalText(40),
  bankAccountNo: z
    .preprocess(
      (v) => (typeof v === 'string' ? blank(v.replace(/[\s-]/g, '')) : v),
      z
        .string()
        .regex(/^[0-9]{8,30}$/, 'validation.bank_account_no')
        .optional(),
    )
    .transform((v) => v ?? null),
  bankName: optionalText(60),
});
export type HouseholdForm = z.infer<typeof householdFormSchema>;

/**
 * Producer form. Members arrive as `member_<householdId>=on` checkboxes with `weight_<householdId>`
 * inputs, collected here into a list.
 */
export const producerFormSchema = z
  .object({
    villageId: z.preprocess(blank, idString.optional()).pipe(z.number({ error: 'validation.required' })),
    kind: z.enum(PRODUCER_KINDS, { error: 'validation.required' }),
    nameZh: text(60).min(1, 'validation.required'),
    nameEn: optionalText(80),
    storyZh: z.preprocess((v) => v ?? '', text(4000)),
    storyEn: optionalText(4000),
  })
  .passthrough()
  .transform((form, ctx) => {
    const members: { householdId: number; weight: number }[] = [];
    for (const [key, value] of Object.entries(form)) {
      const m = /^member_([1-9][0-9]{0,9})$/.exec(key);
      if (!m || value !== 'on') continue;
      const raw = (form as Record<string, unknown>)[`weight_${m[1]}`];
      const weightText = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : '1';
      if (!/^[0-9]{1,6}$/.test(weightText) || Number(weightText) < 1) {
        ctx.addIssue({ code: 'custom', path: [`weight_${m[1]}`], message: 'validation.weight' });
        continue;
      }
      members.push({ householdId: Number(m[1]), weight: Number(weightText) });
    }
    if (members.length === 0) ctx.addIssue({ code: 'custom', path: ['members'], message: 'validation.members_required' });
    if (form.kind === 'household' && members.length > 1) ctx.addIssue({ code: 'custom', path: ['members'], message: 'validation.household_one_member' });
    return {
      villageId: form.villageId,
      kind: form.kind,
      nameZh: form.nameZh,
      nameEn: form.nameEn,
      storyZh: form.storyZh,
      storyEn: form.storyEn,
      members,
    };
  });
export type ProducerForm = z.infer<typeof producerFormSchema>;

/** How a household gave or withdrew consent, and who witnessed it when it was spoken (a paper form comes with its scan). */
const consentHow = {
  method: z.enum(['paper_form', 'verbal'], { error: 'validation.consent_method' }),
  witnessName: optionalText(40),
  givenOn: z
    .string({ error: 'validation.required' })
    .trim()
    .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'validation.consent_date'),
};

const witnessForVerbal = (f: { method: string; witnessName: string | null }, ctx: z.RefinementCtx) => {
  if (f.method === 'verbal' && !f.witnessName) ctx.addIssue({ code: 'custom', path: ['witnessName'], message: 'validation.consent_witness' });
};

/** A household's consent: what it agreed to show (three separate items), when and how. */
export const consentFormSchema = z.object({ namePublic: checkbox, storyPublic: checkbox, photoPublic: checkbox, ...consentHow }).superRefine((f, ctx) => {
  witnessForVerbal(f, ctx);
  if (!f.namePublic && !f.storyPublic && !f.photoPublic) ctx.addIssue({ code: 'custom', path: ['namePublic'], message: 'validation.consent_nothing' });
  // A story is told under the household's public name.
  if (f.storyPublic && !f.namePublic) ctx.addIssue({ code: 'custom', path: ['storyPublic'], message: 'validation.consent_story_needs_name' });
});
export type ConsentForm = z.infer<typeof consentFormSchema>;

/** A household takes back everything it agreed to: when and how. */
export const withdrawalFormSchema = z.object(consentHow).superRefine(witnessForVerbal);
export type WithdrawalForm = z.infer<typeof withdrawalFormSchema>;
