import { AutoregressiveDrafter, type SlotDrafters, TrbenchError } from '@trbench/core';
import { getMethod, type MethodContext, parseMethodParams } from './registry.ts';

/**
 * The drafters of a batched run (one per slot) for method `name`, as its spec declares (`batchSharing`):
 * per-request methods get `slots` instances from `create`; shared ones get `createSlots`' drafters over one
 * global state, or one instance for every slot. A method whose `create` decides to decode plainly (TR's
 * `template: auto` when no tree pays) gives plain drafters for every slot.
 */
export async function createSlotDrafters(
  name: string,
  params: Record<string, unknown>,
  context: MethodContext,
  slots: number,
  where = 'parameters',
): Promise<SlotDrafters> {
  if (!Number.isInteger(slots) || slots < 1) throw new TrbenchError(`${where}: batch must be an integer >= 1, got ${slots}`);
  const spec = getMethod(name);
  const parsed = parseMethodParams(spec, params, where);
  const sharing = spec.batchSharing?.(parsed) ?? 'per-request';
  if (sharing === 'shared') {
    if (spec.createSlots) {
      const drafters = await spec.createSlots(parsed, context, slots);
      return { sharing, drafters };
    }
    const one = await spec.create(parsed, context);
    if (one instanceof AutoregressiveDrafter)
      return { sharing: 'per-request', drafters: Array.from({ length: slots }, () => new AutoregressiveDrafter()) };
    return { sharing, drafters: Array.from({ length: slots }, () => one) };
  }
  const drafters = [];
  for (let s = 0; s < slots; s++) drafters.push(await spec.create(parsed, context));
  return { sharing, drafters };
}
