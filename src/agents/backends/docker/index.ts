// Registers Docker as a sandbox backend: one container per agent under the best runtime the
// engine offers (gVisor, then Kata, then runc). Holds no state; the engine client comes in
// through the build and probe dependencies.
import { ERROR_CODES, SecureSphereError } from '../../../core/errors.js';
import type { SandboxBackendDefinition } from '../definition.js';
import { createDockerBackend } from './docker-backend.js';
import { probeDockerRuntimes } from './detect.js';

export const dockerBackendDefinition: SandboxBackendDefinition = {
  name: 'docker',
  probe: probeDockerRuntimes,
  create: async (choice, deps) => {
    if (!deps.docker || choice.runtime === null) {
      throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, 'The docker backend needs a Docker client and a runtime; set sandbox.backend to auto or docker and run `securesphere doctor`.');
    }
    return createDockerBackend({
      docker: deps.docker,
      runtime: choice.runtime,
      strength: choice.strength,
      image: deps.sandbox.image,
      project: deps.project,
      logger: deps.logger,
      startTimeoutMs: deps.sandbox.probe_timeout_ms,
      egressSocketDir: deps.egressSocketDir,
      callLeaseMs: deps.sandbox.call_lease_ms,
    });
  },
};
