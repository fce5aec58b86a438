// ComfyUI's users: one "default" user unless the server runs with --multi-user, where users.json
// (in the user folder) maps ids to names and the `Comfy-User` header picks one. The header is a
// namespace, not authentication.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyedLock } from './keyed-lock.ts';
import { writeFileNoFollow } from './no-follow-write.ts';

export const DEFAULT_USER = 'default';
const USERS_FILE = 'users.json';
/** A user id becomes a folder name: one plain segment, nothing else. */
const SAFE_ID = /^[A-Za-z0-9_-]+$/;

export class UnknownUserError extends Error {
  override name = 'UnknownUserError';
}

export class DuplicateUserError extends Error {
  override name = 'DuplicateUserError';
}

export class UserDirectory {
  readonly #lock = new KeyedLock();
  #users: Record<string, string>;

  /** `root` is the user folder (ComfyUI's `user/`); each user's files live in `root/<id>/`. */
  constructor(
    readonly root: string,
    readonly multiUser: boolean,
  ) {
    this.#users = multiUser ? readUsers(join(root, USERS_FILE)) : { [DEFAULT_USER]: DEFAULT_USER };
  }

  get users(): Readonly<Record<string, string>> {
    return this.#users;
  }

  /** The id a request acts as: the `Comfy-User` header in multi-user mode, else "default". */
  userId(header: string | undefined): string {
    const id = this.multiUser && header !== undefined ? header : DEFAULT_USER;
    if (!Object.hasOwn(this.#users, id)) throw new UnknownUserError(`Unknown user: ${id}`);
    if (!SAFE_ID.test(id)) throw new UnknownUserError(`user id ${JSON.stringify(id)} cannot name a folder`);
    return id;
  }

  /** The folder holding this user's files (not created here). */
  folder(id: string): string {
    return join(this.root, id);
  }

  /** Adds a user named `name` (id: the name made safe plus a UUID) and saves users.json. */
  async add(name: string): Promise<string> {
    return this.#lock.run(USERS_FILE, async () => {
      const trimmed = name.trim();
      if (trimmed === '') throw new TypeError('username not provided');
      if (Object.values(this.#users).includes(name)) throw new DuplicateUserError('Duplicate username.');
      const id = `${trimmed.replace(/[^a-zA-Z0-9_-]+/g, '-')}_${randomUUID()}`;
      const users = { ...this.#users, [id]: name };
      await writeFileNoFollow(this.root, USERS_FILE, JSON.stringify(users));
      this.#users = users;
      return id;
    });
  }
}

function readUsers(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${path} must hold a JSON object of user ids to names`);
  return Object.fromEntries(Object.entries(parsed).map(([id, name]) => [id, String(name)]));
}
