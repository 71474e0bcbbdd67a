// Small memory helpers shared by the structures.
export { bumpAlloc } from './mem';

/** Zero [from, to). */
export function memoryFill(from: usize, to: usize): void {
  if (to > from) memory.fill(from, 0, to - from);
}
