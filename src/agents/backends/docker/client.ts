// The Docker engine client for a configuration: one place that knows which sandbox.backend
// values involve Docker and where its socket is. Creating the client opens no connection.
import Docker from 'dockerode';
import type { Config } from '../../../config/schema.js';

/** The Docker engine client for this configuration, or null where sandbox.backend rules Docker out. */
export function dockerClientFor(sandbox: Pick<Config['sandbox'], 'backend' | 'docker_socket'>, injected?: Docker): Docker | null {
  if (sandbox.backend !== 'auto' && sandbox.backend !== 'docker') return null;
  return injected ?? new Docker({ socketPath: sandbox.docker_socket });
}
