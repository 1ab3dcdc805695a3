import { UserModel, ROLES, type Role } from '../models/user.js';
import { hashPassword, passwordProblem } from './passwords.js';

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  password: string;
  editions?: string[];
}

/** Creates an account; a weak password or an unknown role is refused with the field named. */
export async function createUser(input: NewUser) {
  const problem = passwordProblem(input.password);
  if (problem) throw Object.assign(new Error(problem), { field: 'password' });
  if (!(ROLES as readonly string[]).includes(input.role)) throw Object.assign(new Error(`role must be one of ${ROLES.join(', ')}`), { field: 'role' });
  return UserModel.create({ email: input.email, name: input.name, role: input.role, editions: input.editions ?? [], passwordHash: await hashPassword(input.password) });
}

/**
 * The first admin from the environment (MGA_ADMIN_EMAIL, MGA_ADMIN_PASSWORD, optional MGA_ADMIN_NAME),
 * created only while no admin exists.
 */
export async function ensureAdminFromEnvironment(log: (msg: string) => void): Promise<void> {
  const email = process.env.MGA_ADMIN_EMAIL;
  const password = process.env.MGA_ADMIN_PASSWORD;
  if (!email || !password) return;
  if (await UserModel.exists({ role: 'admin' })) return;
  await createUser({ email, password, name: process.env.MGA_ADMIN_NAME || 'Administración', role: 'admin' });
  log(`created the first admin account ${email} from MGA_ADMIN_EMAIL`);
}
