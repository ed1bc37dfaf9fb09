/**
 * People and their roles. Creates the first administrator on an empty database: with the
 * password from ADMIN_PASSWORD, or a random one printed once on the console.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConflictError, NotFoundError } from '#domain';
import { type UserEntity, type UserRole, UsersRepository } from '#persistence';
import { hashPassword } from '../auth/passwords.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
  wards: string[];
  disabled: boolean;
  createdAt: string;
}

export function toUserView(u: UserEntity): UserView {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    wards: u.wards,
    disabled: u.disabled,
    createdAt: u.createdAt.toISOString(),
  };
}

export interface CreateUser {
  username: string;
  displayName?: string | undefined;
  password: string;
  role: UserRole;
  wards?: string[] | undefined;
  badgeGsrn?: string | undefined;
  pin?: string | undefined;
}

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  constructor(
    private readonly users: UsersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly bus: EventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const generated = !this.config.adminPassword;
    const password = this.config.adminPassword ?? randomBytes(18).toString('base64url');
    await this.create({ username: 'admin', displayName: 'Administrator', password, role: 'admin' });
    this.logger.info({ username: 'admin', generatedPassword: generated }, 'created the first administrator');
    if (generated) {
      // printed once, outside the structured log, for the person starting the server
      process.stdout.write(
        `\n  MedLoop: first start. Administrator account created.\n    username: admin\n    password: ${password}\n  (shown once; set ADMIN_PASSWORD to choose it yourself)\n\n`,
      );
    }
  }

  async create(input: CreateUser): Promise<UserView> {
    if (await this.users.findByUsername(input.username))
      throw new ConflictError(`username '${input.username}' is taken`, 'username_taken', { field: 'username' });
    const user = {
      id: randomUUID(),
      username: input.username,
      displayName: input.displayName ?? input.username,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      wards: input.wards ?? [],
      disabled: false,
      badgeGsrn: input.badgeGsrn ?? null,
      pinHash: input.pin ? await hashPassword(input.pin) : null,
      credentialGeneration: 0,
      createdAt: new Date(),
    } satisfies UserEntity;
    await this.users.insert(user);
    return toUserView(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.users.list()).map(toUserView);
  }

  async get(id: string): Promise<UserView> {
    const u = await this.users.findById(id);
    if (!u) throw new NotFoundError('User', id);
    return toUserView(u);
  }

  async update(
    id: string,
    patch: {
      displayName?: string | undefined;
      role?: UserRole | undefined;
      wards?: string[] | undefined;
      disabled?: boolean | undefined;
      password?: string | undefined;
      badgeGsrn?: string | undefined;
      pin?: string | undefined;
    },
  ): Promise<UserView> {
    const u = await this.users.findById(id);
    if (!u) throw new NotFoundError('User', id);
    const generation = await this.users.update(id, {
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.wards !== undefined ? { wards: patch.wards } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}),
      ...(patch.badgeGsrn !== undefined ? { badgeGsrn: patch.badgeGsrn } : {}),
      ...(patch.pin !== undefined ? { pinHash: await hashPassword(patch.pin) } : {}),
    });
    // committed. A new password or a disabled account bumped the credential generation in the
    // same UPDATE: no session of the old credentials is honoured from now on, and the auth
    // feature ends them (their sockets close). A new role or ward list keeps the sessions (each
    // request re-reads the user) but live sockets re-check their rooms.
    if (generation === null) throw new NotFoundError('User', id);
    if (patch.disabled === true && !u.disabled) this.bus.emit('user.credentials_changed', { userId: id, reason: 'disabled', generation });
    else if (patch.password !== undefined) this.bus.emit('user.credentials_changed', { userId: id, reason: 'password_changed', generation });
    const reasons: ('disabled' | 'enabled' | 'role' | 'wards')[] = [];
    if (patch.disabled !== undefined && patch.disabled !== u.disabled) reasons.push(patch.disabled ? 'disabled' : 'enabled');
    if (patch.role !== undefined && patch.role !== u.role) reasons.push('role');
    if (patch.wards !== undefined && !sameSet(patch.wards, u.wards)) reasons.push('wards');
    if (reasons.length > 0) this.bus.emit('user.access_changed', { userId: id, reasons });
    return this.get(id);
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
