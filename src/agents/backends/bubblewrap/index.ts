// Registers bubblewrap as a sandbox backend for hosts without Docker: weaker isolation (the
// agent shares the host kernel), reported as weak. Holds no state.
import type { SandboxBackendDefinition } from '../definition.js';
import { createBubblewrapBackend } from './bubblewrap-backend.js';
import { probeBubblewrapBackend } from './detect.js';

export const bubblewrapBackendDefinition: SandboxBackendDefinition = {
  name: 'bubblewrap',
  probe: probeBubblewrapBackend,
  create: async (_choice, deps) =>
    createBubblewrapBackend({ logger: deps.logger, egressSocketDir: deps.egressSocketDir, callLeaseMs: deps.sandbox.call_lease_ms }),
};
