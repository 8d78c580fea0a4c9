import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password.js';
import { ROLES } from './schema.js';

/** Error messages are message keys; src/forms.ts translates them per field. */
const email = z
  .string({ error: 'validation.required' })
  .trim()
  .min(1, 'validation.required')
  .max(254, 'validation.email')
  .pipe(z.email({ error: 'validation.email' }));

const password = z
  .string({ error: 'validation.required' })
  .min(MIN_PASSWORD_LENGTH, 'validation.password_short')
  .max(MAX_PASSWORD_LENGTH, 'validation.password_long');

const displayName = z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(60, 'validation.too_long');

export const loginSchema = z.object({
  email: z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(254, 'validation.email'),
  password: z.string({ error: 'validation.required' }).min(1, 'validation.required').max(MAX_PASSWORD_LENGTH, 'validation.password_long'),
  next: z.string().max(500).optional(),
});

export const registerSchema = z
  .object({ email, displayName, password, passwordConfirm: z.string({ error: 'validation.required' }) })
  .refine((v) => v.password === v.passwordConfirm, { path: ['passwordConfirm'], message: 'validation.password_mismatch' });

export const passwordChangeSchema = z
  .object({
    currentPassword: z.string({ error: 'validation.required' }).min(1, 'validation.required'),
    newPassword: password,
    passwordConfirm: z.string({ error: 'validation.required' }),
  })
  .refine((v) => v.newPassword === v.passwordConfirm, { path: ['passwordConfirm'], message: 'validation.password_mismatch' });

/** Checkbox groups arrive as one string or an array of strings. */
const idList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[1-9][0-9]{0,9}$/, 'validation.invalid')
          .transform(Number),
      )
      .max(200, 'validation.invalid'),
  );

const staffFields = {
  displayName,
  role: z.enum(ROLES, { error: 'validation.invalid' }),
  allProjects: z
    .literal('on')
    .optional()
    .transform((v) => v === 'on'),
  villageIds: idList,
  projectIds: idList,
};

export const createStaffSchema = z.object({ email, password, ...staffFields });
export const updateStaffSchema = z.object({
  ...staffFields,
  disabled: z
    .literal('on')
    .optional()
    .transform((v) => v === 'on'),
});

/** Only same-site paths are accepted as the page to return to after sign-in. */
export function safeNextPath(next: string | undefined): string | null {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  return /^[\x21-\x7e]+$/.test(next) ? next : null;
}

/** The code after the password: the app's 6 digits, or a recovery code instead. */
export const twoFactorCodeSchema = z
  .object({
    code: z.string().trim().max(20, 'validation.too_long').default(''),
    recoveryCode: z.string().trim().max(40, 'validation.too_long').default(''),
  })
  .refine((v) => v.code !== '' || v.recoveryCode !== '', { path: ['code'], message: 'validation.required' });

/** A code from the app (enrolment, turning off). */
export const totpCodeSchema = z.object({
  code: z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(20, 'validation.too_long'),
});
