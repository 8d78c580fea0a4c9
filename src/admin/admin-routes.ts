import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldMessagesOf } from '../form-errors.js';
import { createStaffSchema, updateStaffSchema } from '../accounts/accounts-schemas.js';
import { normaliseEmail, type AccountsService } from '../accounts/accounts-service.js';
import { currentUser, requireRole } from '../accounts/guards.js';
import { ROLES, type Role } from '../accounts/schema.js';
import type { AuditService, AuditVisibility } from '../audit/audit-service.js';
import { auditActionInWords, auditEntityInWords } from '../audit/audit-words.js';
import type { CurrentUser } from '../accounts/session-service.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { pickText, type Locale, type Translator } from '../i18n/i18n.js';
import { csrfTokenFor } from '../plugins/security.js';

/*
 * The admin console: staff accounts and their scopes (villages for first secretaries, projects
 * for coordinators), and the audit log, which coordinators may read too (a coordinator scoped to
 * some projects only the entries about those projects' objects).
 */

export const AUDIT_PAGE_SIZE = 50;
const MAX_AUDIT_PAGE = 10_000;
/** China has kept UTC+8 without daylight saving since 1991, so Asia/Shanghai is a fixed offset. */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;

/** Roles an admin can give a new account; buyers register themselves. */
const STAFF_ROLES = ROLES.filter((role) => role !== 'buyer');

// ---- Schemas ----

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

/** A calendar date that exists (2024-02-30 does not). */
function isCalendarDate(value: string): boolean {
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

const isoDate = z
  .string()
  .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'must be a date written YYYY-MM-DD')
  .refine(isCalendarDate, 'must be a date that exists');

export const userParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

/** GET /admin/audit. Unknown parameters are ignored; known ones must be valid (else 400). */
export const auditQuerySchema = z
  .object({
    who: optional(
      z
        .string()
        .trim()
        .max(254, 'must be at most 254 characters')
        .pipe(z.email({ error: 'must be an email address' })),
    ),
    what: optional(
      z
        .string()
        .trim()
        .regex(/^[a-z0-9_.-]{1,80}$/, 'must be the start of an action code (lowercase letters, digits, dots, hyphens, underscores)'),
    ),
    from: optional(isoDate),
    to: optional(isoDate),
    page: optional(
      z
        .string()
        .regex(/^[0-9]{1,5}$/, 'must be a whole number')
        .transform(Number)
        .pipe(z.number().int().min(1, 'must be at least 1').max(MAX_AUDIT_PAGE, `must be at most ${MAX_AUDIT_PAGE}`)),
    ),
    lang: optional(z.string().max(16)),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must not be before from' });
export type AuditFilterQuery = z.infer<typeof auditQuerySchema>;

// ---- Presentation ----

/** Epoch ms of midnight at the start of a YYYY-MM-DD day in Asia/Shanghai. */
export const shanghaiDayStart = (date: string) => Date.parse(`${date}T00:00:00Z`) - SHANGHAI_OFFSET_MS;

/** "2024-03-02 00:30:00", Asia/Shanghai. */
export function shanghaiTime(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** Zod paths of list items (villageIds.3) are reported on the list's own field. */
function perField(fields: FieldMessages): FieldMessages {
  const out: FieldMessages = {};
  for (const [path, message] of Object.entries(fields)) {
    const field = path.split('.')[0] ?? path;
    out[field] ??= message;
  }
  return out;
}

/** Ids ticked in a re-rendered form (typedValues joins a checkbox group with commas). */
function idsIn(value: string | undefined): Set<number> {
  return new Set(
    (value ?? '')
      .split(',')
      .filter((v) => /^[1-9][0-9]{0,9}$/.test(v))
      .map(Number),
  );
}

function prettyJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value, null, 2);
}

/** The stored { before, after } summary, pretty-printed (the template escapes it). */
function presentSummary(summary: string): { before: string | null; after: string | null } {
  try {
    const parsed: unknown = JSON.parse(summary);
    if (parsed && typeof parsed === 'object') {
      const { before, after } = parsed as { before?: unknown; after?: unknown };
      return { before: prettyJson(before), after: prettyJson(after) };
    }
  } catch {
    // Not JSON: shown as stored.
  }
  return { before: null, after: summary };
}

function auditUrl(filters: Pick<AuditFilterQuery, 'who' | 'what' | 'from' | 'to'>, page: number): string {
  const params = new URLSearchParams();
  for (const key of ['who', 'what', 'from', 'to'] as const) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (page > 1) params.set('page', String(page));
  const qs = params.toString();
  return qs ? `/admin/audit?${qs}` : '/admin/audit';
}

/** A staff form as it is (re-)rendered: typed values (role and ticked scopes included) and messages. */
interface StaffFormState {
  values: Record<string, string>;
  fields: FieldMessages;
  formError?: string | null;
}

export default async function adminRoutes(
  root: FastifyInstance,
  opts: { accounts: AccountsService; audit: AuditService; catalog: CatalogService; auditVisibility: (user: CurrentUser) => AuditVisibility },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { accounts, audit, catalog } = opts;
  const adminOnly = requireRole('admin');

  async function scopeChoices(locale: Locale, values: Record<string, string>) {
    const villageIds = idsIn(values.villageIds);
    const projectIds = idsIn(values.projectIds);
    return {
      villages: (await catalog.villages()).map((v) => ({ id: v.id, name: pickText(locale, v.nameZh, v.nameEn), checked: villageIds.has(v.id) })),
      projects: (await catalog.projects()).map((p) => ({ id: p.id, name: pickText(locale, p.nameZh, p.nameEn), checked: projectIds.has(p.id) })),
      allProjects: values.allProjects === 'on',
    };
  }

  function roleChoices(t: Translator, roles: readonly Role[], selected: string | undefined) {
    return roles.map((role) => ({ value: role, label: t(`admin.role.${role}`), selected: role === selected }));
  }

  async function usersTable(locale: Locale, t: Translator) {
    const villageNames = new Map((await catalog.villages()).map((v) => [v.id, pickText(locale, v.nameZh, v.nameEn)]));
    const projectNames = new Map((await catalog.projects()).map((p) => [p.id, pickText(locale, p.nameZh, p.nameEn)]));
    return (await accounts.listUsers()).map((u) => ({
      id: u.id,
      email: u.email,
      displayName: u.displayName,
      roleLabel: t(`admin.role.${u.role}`),
      scopes: [
        ...u.villageIds.map((id) => villageNames.get(id) ?? `#${id}`),
        ...(u.allProjects ? [t('admin.users.allProjects')] : u.projectIds.map((id) => projectNames.get(id) ?? `#${id}`)),
      ],
      disabled: u.disabled,
    }));
  }

  async function renderUsers(request: FastifyRequest, reply: FastifyReply, form: StaffFormState, status = 200) {
    const { locale, t } = request;
    return reply.code(status).view('admin/users', {
      title: t('admin.users.title'),
      isAdmin: true,
      users: await usersTable(locale, t),
      values: form.values,
      fields: form.fields,
      formError: form.formError ?? null,
      roles: roleChoices(t, STAFF_ROLES, form.values.role ?? 'first_secretary'),
      ...(await scopeChoices(locale, form.values)),
      csrfToken: csrfTokenFor(reply),
    });
  }

  async function renderEdit(request: FastifyRequest, reply: FastifyReply, user: { id: number; email: string; role: Role }, form: StaffFormState, status = 200) {
    const { locale, t } = request;
    return reply.code(status).view('admin/user-edit', {
      title: t('admin.form.editTitle', { email: user.email }),
      isAdmin: true,
      // A staff account can be sent a password reset link (src/accounts/password-reset-routes.ts).
      user: { id: user.id, email: user.email, isStaff: user.role !== 'buyer' },
      values: form.values,
      fields: form.fields,
      formError: form.formError ?? null,
      // A buyer's account keeps "buyer" on offer, so saving it unchanged is possible.
      roles: roleChoices(t, ROLES, form.values.role ?? user.role),
      disabled: form.values.disabled === 'on',
      ...(await scopeChoices(locale, form.values)),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/admin/users', { preHandler: adminOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    return renderUsers(request, reply, { values: {}, fields: {} });
  });

  app.post('/admin/users', { preHandler: adminOnly }, async (request, reply) => {
    const actor = currentUser(request);
    const values = typedValues(request.body);
    const form = parseForm(createStaffSchema, request.body, request.t);
    if (!form.ok) {
      return renderUsers(request, reply, { values, fields: perField(form.fields), formError: request.t('admin.form.invalid') }, 422);
    }
    try {
      await accounts.createStaff(form.data, actor.id, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.details.fields) {
        const fields = fieldMessagesOf(request, error);
        return renderUsers(request, reply, { values, fields, formError: request.t('admin.form.invalid') }, error.status);
      }
      throw error;
    }
    reply.flash('success', request.t('admin.users.created', { email: normaliseEmail(form.data.email) }));
    return reply.redirect('/admin/users', 303);
  });

  app.get('/admin/users/:id', { preHandler: adminOnly, schema: { params: userParamsSchema, querystring: plainQuerySchema } }, async (request, reply) => {
    const user = await accounts.userById(request.params.id);
    const values: Record<string, string> = {
      displayName: user.displayName,
      role: user.role,
      villageIds: user.villageIds.join(','),
      projectIds: user.projectIds.join(','),
    };
    if (user.allProjects) values.allProjects = 'on';
    if (user.disabled) values.disabled = 'on';
    return renderEdit(request, reply, user, { values, fields: {} });
  });

  app.post('/admin/users/:id', { preHandler: adminOnly, schema: { params: userParamsSchema } }, async (request, reply) => {
    const actor = currentUser(request);
    const user = await accounts.userById(request.params.id);
    const values = typedValues(request.body);
    const form = parseForm(updateStaffSchema, request.body, request.t);
    if (!form.ok) {
      return renderEdit(request, reply, user, { values, fields: perField(form.fields), formError: request.t('admin.form.invalid') }, 422);
    }
    try {
      await accounts.updateStaff(user.id, form.data, actor.id, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.details.fields) {
        const fields = fieldMessagesOf(request, error);
        return renderEdit(request, reply, user, { values, fields, formError: request.t('admin.form.invalid') }, error.status);
      }
      if (error instanceof AppError && error.code === 'cannot_demote_self') {
        return renderEdit(request, reply, user, { values, fields: {}, formError: request.t('errors.cannot_demote_self') }, error.status);
      }
      throw error;
    }
    reply.flash('success', request.t('admin.users.saved', { email: user.email }));
    return reply.redirect('/admin/users', 303);
  });

  app.get('/admin/audit', { preHandler: requireRole('admin', 'coordinator'), schema: { querystring: auditQuerySchema } }, async (request, reply) => {
    const { t } = request;
    const query = request.query;
    const page = query.page ?? 1;
    const filters = { who: query.who, what: query.what, from: query.from, to: query.to };
    const visible = opts.auditVisibility(currentUser(request));

    // "who" names an account by its email; an email nobody has matches no entries.
    const who = query.who === undefined ? undefined : (await accounts.listUsers()).find((u) => u.email === normaliseEmail(query.who!));
    const result =
      query.who !== undefined && !who
        ? { rows: [], total: 0 }
        : await audit.list({
            userId: who?.id,
            action: query.what,
            from: query.from ? shanghaiDayStart(query.from) : undefined,
            // The "to" day is included: entries before the next day's midnight.
            to: query.to ? shanghaiDayStart(query.to) + DAY_MS : undefined,
            limit: AUDIT_PAGE_SIZE,
            offset: (page - 1) * AUDIT_PAGE_SIZE,
            // A coordinator scoped to some projects reads only the entries about their projects' objects.
            visible,
          });
    const pages = Math.max(1, Math.ceil(result.total / AUDIT_PAGE_SIZE));

    return reply.view('admin/audit', {
      title: t('admin.audit.title'),
      isAdmin: currentUser(request).role === 'admin',
      scoped: visible !== 'all',
      values: filters,
      fields: {},
      hasFilters: Boolean(query.who || query.what || query.from || query.to),
      total: result.total,
      entries: result.rows.map((row) => ({
        time: shanghaiTime(row.createdAt),
        isoTime: new Date(row.createdAt).toISOString(),
        who: row.userEmail,
        action: row.action,
        actionText: auditActionInWords(row.action, t),
        entity: auditEntityInWords(row.entityType, row.entityId, t),
        address: row.address,
        ...presentSummary(row.summary),
      })),
      pagination: {
        show: pages > 1,
        page,
        pages,
        prevUrl: page > 1 ? auditUrl(filters, Math.min(page - 1, pages)) : null,
        nextUrl: page < pages ? auditUrl(filters, page + 1) : null,
      },
    });
  });

  // Sign-in throttling as it stands: accounts being guessed at, addresses failing often (last 24 hours).
  app.get('/admin/security', { preHandler: adminOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const { t } = request;
    const { accounts: attacked, addresses } = await accounts.underAttack();
    const slowed = (until: number | null) => (until === null ? null : shanghaiTime(until));
    reply.header('cache-control', 'no-store');
    return reply.view('admin/security', {
      title: t('admin.security.title'),
      accounts: attacked.map((a) => ({
        ...a,
        roleLabel: t(`admin.role.${a.role}`),
        last: shanghaiTime(a.lastAt),
        slowedUntil: slowed(a.slowedUntil),
        editUrl: `/admin/users/${a.id}`,
      })),
      addresses: addresses.map((a) => ({ ...a, last: shanghaiTime(a.lastAt), slowedUntil: slowed(a.slowedUntil) })),
    });
  });
}
