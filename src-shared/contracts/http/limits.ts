/**
 * Length and size bounds of request fields, as Flagsmith has them (its model columns and system limits:
 * https://docs.flagsmith.com/system-administration/system-limits). They live in the contracts so Ajv
 * enforces them (400 naming the field) and the OpenAPI document shows them.
 */

/** Flagsmith's `FEATURE_VALUE_LIMIT`: the longest string flag value (feature states, `initial_value`, multivariate options). */
export const FEATURE_VALUE_MAX_LENGTH = 20_000;
/** Flagsmith's `Trait.string_value` column. */
export const TRAIT_VALUE_MAX_LENGTH = 2_000;
/** Largest id any table holds (32-bit serial columns); a larger one in a body is 400, not a database error. */
export const MAX_ID = 2_147_483_647;
/** Longest free-text description of a segment condition. */
export const CONDITION_DESCRIPTION_MAX_LENGTH = 2_000;
