/**
 * An error's details as they travel in a `details_json` field: a JSON object, or nothing.
 * Anything else (not JSON, an array, a scalar, more than `maxBytes`) is dropped rather than
 * failing the error it came with.
 */
export function parseErrorDetails(json: string, maxBytes = Number.POSITIVE_INFINITY): Record<string, unknown> | undefined {
  if (json === '' || json.length > maxBytes) return undefined;
  try {
    const details: unknown = JSON.parse(json);
    return typeof details === 'object' && details !== null && !Array.isArray(details) ? (details as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
