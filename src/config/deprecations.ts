// Keys the configuration still accepts but no longer needs. Finding them must never fail a
// load: an existing file keeps working, and the gateway's log names the file and the key so
// the operator can remove it. Reads the raw file content only; never a secret value.

export interface ConfigDeprecation {
  /** The config file the key came from (null: environment or flags). */
  file: string | null;
  /** Dotted key path, e.g. "channels.cli.enabled". */
  key: string;
  /** What to do about it. */
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function findDeprecatedKeys(raw: Record<string, unknown>, file: string | null): ConfigDeprecation[] {
  const found: ConfigDeprecation[] = [];
  const channels = raw.channels;
  if (isRecord(channels) && channels.cli !== undefined) {
    const key = isRecord(channels.cli) && 'enabled' in channels.cli ? 'channels.cli.enabled' : 'channels.cli';
    found.push({
      file,
      key,
      message:
        `${file ?? '(config)'}: ${key} is deprecated: \`securesphere chat\` is a client of the HTTP API, not a channel, ` +
        'and the API token decides who may use it. Remove the key; a later version will refuse it.',
    });
  }
  return found;
}
