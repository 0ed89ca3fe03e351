import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Validation of configuration objects against the manifests' draft-07 schemas, standing in for the SDK's
 * Pydantic models: defaults filled in, unknown keys kept but never rejected, and error texts that name the
 * field and never its value (a configuration holds secrets).
 */
const ajv = new Ajv({
  allErrors: true,
  useDefaults: true,
  // `additionalProperties: false` drops unknown keys instead of failing, like Pydantic's default.
  removeAdditional: true,
  // Manifests carry non-standard keywords (`secrets`, `internal`) next to standard ones.
  strict: false,
});
addFormats(ajv);

const compiled = new WeakMap<object, ValidateFunction>();

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns a validated copy of `value` with defaults applied, or the list of problems.
 * `schema` undefined or not an object means "no schema": the value is only checked to be an object.
 */
export function validateConfiguration(
  value: unknown,
  schema: unknown,
): { ok: true; value: JsonObject } | { ok: false; problems: string[] } {
  if (!isPlainObject(value)) return { ok: false, problems: ['the configuration must be a JSON object'] };
  const copy = structuredClone(value);
  if (!isPlainObject(schema)) return { ok: true, value: copy };
  coerceLaxScalars(copy, schema);
  let validate = compiled.get(schema);
  if (!validate) {
    // `$schema` may name a meta-schema Ajv does not ship (draft-07 is the default): drop it.
    const rest = { ...schema };
    delete rest.$schema;
    validate = ajv.compile(rest);
    compiled.set(schema, validate);
  }
  if (validate(copy)) return { ok: true, value: copy };
  return { ok: false, problems: (validate.errors ?? []).map(describeProblem) };
}

/**
 * Top-level keys of `value` the schema does not declare. They are ignored, as by the SDK, but a
 * misspelt optional key would otherwise silently fall back to its default. Names only, never values.
 */
export function unknownKeys(value: unknown, schema: unknown): string[] {
  if (!isPlainObject(value) || !isPlainObject(schema) || !isPlainObject(schema.properties)) return [];
  const known = schema.properties;
  return Object.keys(value).filter((key) => !Object.hasOwn(known, key));
}

function describeProblem(error: ErrorObject): string {
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    return `${error.instancePath}/${missing} is required`;
  }
  return `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`;
}

/**
 * [G] Whether the platform writes numbers and booleans typed or as strings is unknown. Pydantic's lax mode
 * accepts "300" for an int and "true" for a bool, so the same strings are converted here before validation;
 * typed values pass unchanged. Ajv's own coerceTypes is not used because it also turns null into "" and
 * numbers into strings, which Pydantic rejects.
 */
function coerceLaxScalars(value: JsonObject, schema: JsonObject): void {
  const properties = schema.properties;
  if (!isPlainObject(properties)) return;
  for (const [key, propertySchema] of Object.entries(properties)) {
    const current = value[key];
    if (typeof current !== 'string' || !isPlainObject(propertySchema)) continue;
    const types = ([] as unknown[]).concat(propertySchema.type);
    if (types.includes('string')) continue;
    const trimmed = current.trim();
    if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(trimmed)) {
      const parsed = Number(trimmed);
      if (types.includes('number') || Number.isInteger(parsed)) value[key] = parsed;
    } else if (types.includes('boolean') && /^(true|false)$/i.test(trimmed)) {
      value[key] = trimmed.toLowerCase() === 'true';
    }
  }
}
