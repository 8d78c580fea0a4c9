import type { CurrentUser } from '../accounts/session-service.js';
import { AppError } from '../errors.js';

/**
 * Which villages a staff member may see private household data of and manage:
 * a first secretary their own villages; a coordinator every village (coordinators work across
 * villages — their project scope narrows money pages, not the household register). Others: none.
 */
export type VillageScope = 'all' | readonly number[];

export function villageScopeOf(user: CurrentUser): VillageScope {
  if (user.role === 'first_secretary') return user.villageIds;
  if (user.role === 'coordinator') return 'all';
  return [];
}

export function canManageVillage(user: CurrentUser, villageId: number): boolean {
  const scope = villageScopeOf(user);
  return scope === 'all' || scope.includes(villageId);
}

/**
 * The per-object check every console service makes. An object outside the actor's villages is
 * reported as not found (404), exactly like an id that does not exist, so ids cannot be probed.
 */
export function assertVillage(user: CurrentUser, villageId: number | undefined, code = 'not_found'): asserts villageId is number {
  if (villageId === undefined || !canManageVillage(user, villageId)) throw new AppError('not_found', code);
}
