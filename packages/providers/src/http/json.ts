/** JSON of a vendor's error body, or null: error bodies are read for detail, never trusted to parse. */
export function tryJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}
