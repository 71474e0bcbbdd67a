// Cost profiles: schema, the names the model charges, loading. See sim/costs/profiles/ for the shipped ones.
export { CostProfile, loadProfile, parseProfile, defaultProfile, resolveProfile, shippedProfilesDir, DEFAULT_PROFILE_NAME } from './profile.js';
export type { LockCostValues } from './profile.js';
export { COST_NAMES } from './names.js';
export type { CostName } from './names.js';
export { costProfileSchema, COST_KINDS } from './schema.js';
export type { CostEntry, CostKind, CostProfileFile, CostHost } from './schema.js';
