export const ROLES = ['facilitator', 'cofacilitator', 'client', 'observer'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that run the session: they admit, moderate and see the waiting room. */
export const MODERATOR_ROLES: readonly Role[] = ['facilitator', 'cofacilitator'];
export const isModerator = (role: Role): boolean => MODERATOR_ROLES.includes(role);
