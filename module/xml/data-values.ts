/** The `<data><value name="…" value="…"/></data>` pairs that PRA events carry. */

/**
 * Adds one `<value>` to an event's data, creating the object on the first named value, and
 * returns it. A value without a name has nothing to be filed under and is skipped; a missing
 * `value` attribute reads as ''; a repeated name keeps the last value.
 */
export function addDataValue(
  data: Record<string, string> | undefined,
  attributes: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  const name = attributes.name;
  if (!name) return data;
  const values = data ?? {};
  const value = attributes.value ?? '';
  if (name === '__proto__') {
    // A plain assignment would set the prototype instead of adding the key.
    Object.defineProperty(values, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    values[name] = value;
  }
  return values;
}
