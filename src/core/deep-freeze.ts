// Freezes an object graph in place (config, cached history rows): any later write throws in
// strict mode instead of silently changing shared state.
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
