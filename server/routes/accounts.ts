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
import { problem, type ApiRegistry } from '../http/api.js';
import { account } from '../http/schemas.js';

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

async function pageData() {
  const [users, editions] = await Promise.all([
    UserModel.find({}, { passwordHash: 0 }).sort({ role: 1, email: 1 }).lean(),
    EditionModel.find({}, { editionId: 1, title: 1 }).sort({ year: -1 }).lean(),
  ]);
  return { users: users.map(publicAccount), editions, roles: ROLES };
}

export function accountsRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  router.get('/admin/cuentas', admin, async (req, res) => {
    renderPage(req, res, 'admin/accounts', { title: 'Cuentas', ...(await pageData()), form: { role: 'evaluator', editions: [] } });
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
      renderPage(req, res, 'admin/accounts', { title: 'Cuentas', ...(await pageData()), form, errors: problem.errors ?? [{ field: 'email', reason: problem.detail ?? problem.title }] }, { status: problem.status });
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
  api.add({ method: 'get', path: '/users', summary: 'Accounts (never their password hashes)', tag: 'admin', access: 'admin', responses: { 200: { description: 'every account, by e-mail', schema: { type: 'object', required: ['users'], properties: { users: { type: 'array', items: account } } } } } }, admin, async (_req, res) => {
    res.json({ users: (await UserModel.find({}, { passwordHash: 0 }).sort({ email: 1 }).lean()).map(publicAccount) });
  });
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
