import type { StitchCatalog } from '../catalog.js';
import { AdaptivePolicy } from './adaptive.js';
import type { Policy } from './policy.js';
import { SlackFitPolicy } from './slackfit.js';
import { StaticPolicy } from './static.js';

export type { Policy } from './policy.js';
export { AdaptivePolicy, SlackFitPolicy, StaticPolicy };

/** The policy config strings `createPolicy` accepts. */
export const POLICY_NAMES = ['adaptive', 'slackfit', 'fixed:<id>', 'fastest', 'most-accurate'] as const;

/**
 * Builds a policy from its config string. With a catalog, `fixed:<id>` is checked against every task's
 * stitches (it must exist for at least one). Throws an Error naming the accepted values.
 */
export function createPolicy(spec: string, catalog?: StitchCatalog): Policy {
  const fixed = /^fixed:(\d+)$/.exec(spec);
  if (fixed !== null) {
    const id = Number(fixed[1]);
    if (catalog !== undefined && ![...catalog.values()].some((tc) => tc.stitches.has(id))) {
      throw new Error(`policy '${spec}': stitch ${id} is not in the loaded family`);
    }
    return StaticPolicy.fixed(id);
  }
  switch (spec) {
    case 'adaptive':
      return new AdaptivePolicy();
    case 'slackfit':
      return new SlackFitPolicy();
    case 'fastest':
      return StaticPolicy.fastest();
    case 'most-accurate':
      return StaticPolicy.mostAccurate();
    default:
      throw new Error(`unknown policy '${spec}'; expected one of ${POLICY_NAMES.join(', ')}`);
  }
}
