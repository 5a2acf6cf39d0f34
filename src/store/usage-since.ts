// Reads a "since" filter as the API and the CLI accept it: epoch milliseconds or an ISO 8601
// time. Undefined when it is neither.
export function parseSince(value: string): number | undefined {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
