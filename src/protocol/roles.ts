export const ROLES = ['facilitator', 'cofacilitator', 'client', 'observer'] as const;
export type Role = (typeof ROLES)[number];
