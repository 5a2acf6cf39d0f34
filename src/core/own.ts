// Names from a model or a user are hostile: "__proto__", "constructor" or "toString" must
// never resolve to something the object inherited. Look things up by own property only.

export function getOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
