// Secret values in config are references, never literals: `${env:NAME}` reads an environment
// variable, `vault:NAME` reads the encrypted vault. Resolution happens once, at start-up, and
// the resolved value is registered with the redactor so it can never reach a log.
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import { SECRET_NAME_PATTERN } from '../security/vault/vault.js';

const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;
// The vault's own name rule, with its ^ and $ anchors stripped so `vault:` can prefix it.
const VAULT_REF = new RegExp(`^vault:(${SECRET_NAME_PATTERN.source.replace(/^\^|\$$/g, '')})$`);

export type SecretRef = { kind: 'env'; name: string } | { kind: 'vault'; name: string };

export function parseSecretRef(value: string): SecretRef | undefined {
  const env = ENV_REF.exec(value);
  if (env) return { kind: 'env', name: env[1]! };
  const vault = VAULT_REF.exec(value);
  if (vault) return { kind: 'vault', name: vault[1]! };
  return undefined;
}

export function isSecretRef(value: string): boolean {
  return parseSecretRef(value) !== undefined;
}

export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a vault secret; throws VAULT_SEALED when the vault has no key. */
  vault?: (name: string) => string | undefined;
}

/** Resolves a reference; `where` names the config key for the error message. */
export function resolveSecretRef(value: string, where: string, sources: SecretSources): string {
  const ref = parseSecretRef(value);
  if (!ref) {
    throw new SecureSphereError(
      ERROR_CODES.SECRET_UNRESOLVED,
      `${where}: secret values must be references like \${env:NAME} or vault:NAME, not literals.`,
    );
  }
  if (ref.kind === 'env') {
    const v = sources.env[ref.name];
    if (v === undefined || v === '') {
      throw new SecureSphereError(
        ERROR_CODES.SECRET_UNRESOLVED,
        `${where}: environment variable ${ref.name} is not set. Export it or change the reference.`,
      );
    }
    return v;
  }
  if (!sources.vault) {
    throw new SecureSphereError(
      ERROR_CODES.SECRET_UNRESOLVED,
      `${where}: vault:${ref.name} cannot be read because the vault is not open. Set SECURESPHERE_MASTER_KEY.`,
    );
  }
  const v = sources.vault(ref.name);
  if (v === undefined) {
    throw new SecureSphereError(
      ERROR_CODES.SECRET_UNRESOLVED,
      `${where}: the vault has no secret named ${ref.name}. Add it with \`securesphere vault set ${ref.name}\`.`,
    );
  }
  return v;
}
