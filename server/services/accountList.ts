/**
 * The accounts as the admin page and GET /api/v1/users list them: searched by name or e-mail,
 * filtered by role, edition and state, sorted and paged in MongoDB; the filtered list as CSV.
 */
import { UserModel, ROLES, type Role } from '../models/user.js';
import { escapeRegExp, type ListQuery, type ListSpec } from '../http/lists.js';

export const ACCOUNT_SORTS = ['role', 'name', 'email', '-created'] as const;
export type AccountSort = (typeof ACCOUNT_SORTS)[number];
export const ACCOUNT_SORT_LABELS: Record<AccountSort, string> = { role: 'Rol', name: 'Nombre', email: 'Correo', '-created': 'Creadas más recientemente' };
export const ROLE_NAMES: Record<Role, string> = { admin: 'Administración', evaluator: 'Evaluación', viewer: 'Consulta' };

export const ACCOUNT_SPEC: ListSpec<AccountSort> = {
  filters: {
    role: { values: ROLES },
    edition: { pattern: /^[a-z0-9][a-z0-9-]{1,62}$/, describe: 'an edition id' },
    active: { values: ['true', 'false'] },
  },
  sorts: ACCOUNT_SORTS,
  defaultSort: 'role',
};

export interface AccountRow {
  id: string;
  email: string;
  name: string;
  role: string;
  roleLabel: string;
  editions: string[];
  active: boolean;
}

function filterOf(query: ListQuery<AccountSort>): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (query.filters.role) filter.role = query.filters.role;
  if (query.filters.edition) filter.editions = query.filters.edition;
  if (query.filters.active) filter.active = query.filters.active === 'true';
  if (query.q) {
    const pattern = new RegExp(escapeRegExp(query.q), 'i');
    filter.$or = [{ name: pattern }, { email: pattern }];
  }
  return filter;
}

const SORTS: Record<AccountSort, Record<string, 1 | -1>> = { role: { role: 1, email: 1 }, name: { name: 1, email: 1 }, email: { email: 1 }, '-created': { createdAt: -1, _id: -1 } };
const toRow = (u: { _id: unknown; email: string; name: string; role: string; editions: string[]; active: boolean }): AccountRow => ({ id: String(u._id), email: u.email, name: u.name, role: u.role, roleLabel: ROLE_NAMES[u.role as Role] ?? u.role, editions: u.editions, active: u.active });
const FIELDS = { email: 1, name: 1, role: 1, editions: 1, active: 1 } as const;

export async function accountPage(query: ListQuery<AccountSort>): Promise<{ total: number; items: AccountRow[] }> {
  const filter = filterOf(query);
  const [total, users] = await Promise.all([UserModel.countDocuments(filter), UserModel.find(filter, FIELDS).sort(SORTS[query.sort]).skip(query.offset).limit(query.limit).lean()]);
  return { total, items: users.map(toRow) };
}

export async function* accountRows(query: ListQuery<AccountSort>): AsyncGenerator<AccountRow> {
  for await (const user of UserModel.find(filterOf(query), FIELDS).sort(SORTS[query.sort]).lean().cursor({ batchSize: 500 })) yield toRow(user);
}

export const ACCOUNT_CSV_HEADER = ['id', 'nombre', 'correo', 'rol', 'ediciones', 'activa'] as const;
export const accountCsvRow = (r: AccountRow) => [r.id, r.name, r.email, r.roleLabel, r.editions.join('; '), r.active ? 'sí' : 'no'];
