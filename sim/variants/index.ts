// Design variants: named choice sets composed with `+`; see README.md for each one.
export { listVariants, resolveVariant, VARIANTS } from './registry.js';
export type { ResolvedVariant, ResolveOptions, VariantDef } from './registry.js';
export { DIMENSIONS, DEFAULT_CHOICES } from './choices.js';
export type { ChoiceValues, Dimension, PartialChoices } from './choices.js';
export { STRATEGIES, strategiesFor, exactGfnRange, GFN_WRAPPED } from './strategies.js';
export type * from './strategies.js';
