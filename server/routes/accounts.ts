/**
 * Accounts (admins): create evaluators, viewers and other admins, assign them editions, deactivate
 * them. Pages under /admin/cuentas and the same actions in the JSON API.
 */
import { Router } from 'express';
import type { JSONSchemaType } from 'ajv';
import { UserModel, ROLES, type Role } from '../models/user.js';
import { EditionModel } from '../models/edition.js';
import mongoose from 'mongoose';
import { currentUser, requireUser, userActor, type UserPrincipal } from '../auth/access.js';
import { record } from '../services/audit.js';
import { createUser } from '../auth/users.js';
import { HttpProblem, notFound } from '../http/problem.js';
import { formFields, validator } from '../http/validate.js';
import { flash, renderPage } from '../http/render.js';
import { pager, parseListQuery, streamCsv } from '../http/lists.js';
import { ACCOUNT_CSV_HEADER, ACCOUNT_SORTS, ACCOUNT_SORT_LABELS, ACCOUNT_SPEC, ROLE_NAMES, accountCsvRow, accountPage, accountRows } from '../services/accountList.js';
import { listQueryParameters } from './queue.js';
import { problem, type ApiRegistry } from '../http/api.js';
import { account } from '../http/schemas.js';
import { pageSchema } from '../http/apiSchemas.js';

const accountListSchema = pageSchema({ type: 'object', required: ['id', 'email', 'name', 'role', 'editions', 'active'], properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, editions: { type: 'array', items: { type: 'string' } }, active: { type: 'boolean' } } });

interface NewAccount {
  email: string;
  name: string;
  role: Role;
  password: string;
  editions: string[];
}
interface AccountChange {
  editions?: string[];
  active?: boolean;
  role?: Role;
}

const editionIds = { type: 'array', items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }, maxItems: 200 } as const;
const newAccountSchema: JSONSchemaType<NewAccount> = {
  type: 'object',
  properties: {
    email: { type: 'string', maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' },
    name: { type: 'string', minLength: 2, maxLength: 120 },
    role: { type: 'string', enum: [...ROLES] },
    password: { type: 'string', minLength: 12, maxLength: 200 },
    editions: { ...editionIds, default: [] },
  },
  required: ['email', 'name', 'role', 'password', 'editions'],
  additionalProperties: false,
};
const changeSchema: JSONSchemaType<AccountChange> = {
  type: 'object',
  properties: { editions: { ...editionIds, nullable: true }, active: { type: 'boolean', nullable: true }, role: { type: 'string', enum: [...ROLES], nullable: true } },
  additionalProperties: false,
};
const checkNewAccount = validator(newAccountSchema, 'body');
const checkChange = validator(changeSchema, 'body');

const publicAccount = (u: { _id: unknown; email: string; name: string; role: string; editions: string[]; active: boolean }) => ({ id: String(u._id), email: u.email, name: u.name, role: u.role, editions: u.editions, active: u.active });

const auditedAccount = (u: { email: string; name: string; role: string; editions: string[]; active: boolean }) => ({ email: u.email, name: u.name, role: u.role, editions: u.editions, active: u.active });

async function addAccount(actor: UserPrincipal, input: NewAccount) {
  if (await UserModel.exists({ email: input.email.trim().toLowerCase() })) {
    throw new HttpProblem(409, 'Conflict', `an account for ${input.email} already exists`, [{ field: 'email', value: input.email, reason: 'ya existe una cuenta con este correo' }]);
  }
  const user = await createUser(input);
  await record({ action: 'account.create', actor: userActor(actor), subject: `cuenta ${user.email}`, newValue: auditedAccount(user) });
  return user;
}

async function changeAccount(actor: UserPrincipal, id: string, change: AccountChange) {
  if (!/^[0-9a-f]{24}$/.test(id)) throw notFound('no such account');
  if (id === actor.id && (change.active === false || (change.role && change.role !== 'admin'))) {
    throw new HttpProblem(409, 'Conflict', 'you cannot deactivate or demote your own account', [{ field: 'active', reason: 'no puede desactivar ni cambiar el rol de su propia cuenta' }]);
  }
  let changed: { _id: unknown; email: string; name: string; role: string; editions: string[]; active: boolean } | undefined;
  await mongoose.connection.transaction(async (session) => {
    const before = await UserModel.findByIdAndUpdate(id, { $set: change }, { returnDocument: 'before', runValidators: true, session }).lean();
    if (!before) throw notFound('no such account');
    changed = { ...before, ...change } as typeof changed;
    await record({ action: 'account.change', actor: userActor(actor), subject: `cuenta ${before.email}`, oldValue: auditedAccount(before), newValue: auditedAccount(changed!) }, session);
  });
  return changed!;
}

/** The page's data: one page of the filtered accounts and the editions to assign. */
async function pageData(rawQuery: unknown) {
  const query = parseListQuery(rawQuery as Record<string, unknown>, ACCOUNT_SPEC);
  const [page, editions] = await Promise.all([accountPage(query), EditionModel.find({}, { editionId: 1, title: 1 }).sort({ year: -1 }).lean()]);
  const f = query.filters;
  return {
    users: page.items,
    editions,
    roles: ROLES,
    q: query.q,
    filters: {
      role: ROLES.map((r) => ({ value: r, label: ROLE_NAMES[r], selected: r === f.role })),
      edition: editions.map((e) => ({ value: e.editionId, label: e.editionId, selected: e.editionId === f.edition })),
      active: [{ value: 'true', label: 'Activas', selected: f.active === 'true' }, { value: 'false', label: 'Desactivadas', selected: f.active === 'false' }],
    },
    sorts: ACCOUNT_SORTS.map((s) => ({ value: s, label: ACCOUNT_SORT_LABELS[s], selected: s === query.sort })),
    pager: pager('/admin/cuentas', query, page.total, {}, '/api/v1/users'),
  };
}

export function accountsRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  router.get('/admin/cuentas', admin, async (req, res) => {
    renderPage(req, res, 'admin/accounts', { title: 'Cuentas', ...(await pageData(req.query)), form: { role: 'evaluator', editions: [] } });
  });

  router.post('/admin/cuentas', admin, async (req, res) => {
    const fields = formFields(req.body, ['editions']);
    try {
      const user = await addAccount(currentUser(res), checkNewAccount(fields));
      flash(req, `Cuenta creada: ${user.email}.`);
      res.redirect(303, '/admin/cuentas');
    } catch (error) {
      const problem = error instanceof HttpProblem ? error : (error as { field?: string }).field ? new HttpProblem(400, 'Bad Request', (error as Error).message, [{ field: (error as { field: string }).field, reason: (error as Error).message }]) : undefined;
      if (!problem || problem.status >= 500) throw error;
      const { password: _omitted, ...form } = fields;
      renderPage(req, res, 'admin/accounts', { title: 'Cuentas', ...(await pageData(req.query)), form, errors: problem.errors ?? [{ field: 'email', reason: problem.detail ?? problem.title }] }, { status: problem.status });
    }
  });

  router.post('/admin/cuentas/:id', admin, async (req, res) => {
    const fields = formFields(req.body, ['editions']);
    const change: Record<string, unknown> = { editions: fields.editions };
    if (fields.active !== undefined) change.active = fields.active === 'true';
    await changeAccount(currentUser(res), String(req.params.id), checkChange(change));
    flash(req, 'Cuenta actualizada.');
    res.redirect(303, '/admin/cuentas');
  });

  return router;
}

export function registerAccountsApi(api: ApiRegistry): void {
  const admin = requireUser('admin');
  api.add(
    {
      method: 'get',
      path: '/users',
      summary: 'Accounts (never their password hashes), one page at a time; format=csv: the whole filtered list',
      tag: 'admin',
      access: 'admin',
      query: listQueryParameters({ role: { type: 'string', enum: [...ROLES] }, edition: { type: 'string' }, active: { type: 'string', enum: ['true', 'false'] }, sort: { type: 'string', enum: [...ACCOUNT_SORTS], default: 'role' } }),
      responses: { 200: { description: 'a page of accounts', schema: accountListSchema } },
    },
    admin,
    async (req, res) => {
      const query = parseListQuery(req.query as Record<string, unknown>, ACCOUNT_SPEC);
      if (query.csv) {
        const rows = (async function* () {
          for await (const row of accountRows(query)) yield accountCsvRow(row);
        })();
        return streamCsv(res, 'cuentas.csv', ACCOUNT_CSV_HEADER, rows);
      }
      const page = await accountPage(query);
      res.json({ total: page.total, limit: query.limit, offset: query.offset, items: page.items.map(({ roleLabel: _label, ...user }) => user) });
    },
  );
  api.add({ method: 'post', path: '/users', summary: 'Create an admin, evaluator or viewer account', tag: 'admin', access: 'admin', body: newAccountSchema, responses: { 201: { description: 'the new account', schema: account }, 409: problem('an account with this e-mail already exists') } }, admin, async (req, res) => {
    const user = await addAccount(currentUser(res), checkNewAccount(req.body ?? {})).catch((error: unknown) => {
      if ((error as { field?: string }).field) throw new HttpProblem(400, 'Bad Request', (error as Error).message, [{ field: (error as { field: string }).field, reason: (error as Error).message }]);
      throw error;
    });
    res.status(201).json(publicAccount(user.toObject()));
  });
  api.add({ method: 'patch', path: '/users/:id', summary: 'Assign editions, change the role, or deactivate an account', tag: 'admin', access: 'admin', body: changeSchema, responses: { 200: { description: 'the account as changed', schema: account }, 404: problem('no such account') } }, admin, async (req, res) => {
    res.json(publicAccount(await changeAccount(currentUser(res), String(req.params.id), checkChange(req.body ?? {}))));
  });
}
