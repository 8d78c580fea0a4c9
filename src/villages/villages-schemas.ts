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

export const householdFormSchema = z
  .object({
    villageId: z.preprocess(blank, idString.optional()).pipe(z.number({ error: 'validation.required' })),
    realName: text(40).min(1, 'validation.required'),
    displayName: optionalText(20),
    consentPublic: checkbox,
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
  })
  .refine((h) => !h.consentPublic || h.displayName, { path: ['displayName'], message: 'validation.display_name_for_consent' });
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
