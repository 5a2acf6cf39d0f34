// The sandbox backend registry: every backend SecureSphere can run agents with, in order of
// preference (runtime detection asks them in this order). Adding a backend is its folder plus
// one line here; config validation takes the allowed sandbox.backend names from this list.
// Must never build a backend itself: definitions do, when the agent subsystem asks.
import type { SandboxBackendDefinition } from './definition.js';
import { bubblewrapBackendDefinition } from './bubblewrap/index.js';
import { dockerBackendDefinition } from './docker/index.js';

// One line per backend, strongest isolation first.
export const SANDBOX_BACKENDS: readonly SandboxBackendDefinition[] = [dockerBackendDefinition, bubblewrapBackendDefinition];

export function findSandboxBackend(name: string): SandboxBackendDefinition | undefined {
  return SANDBOX_BACKENDS.find((b) => b.name === name);
}

/** The names sandbox.backend accepts besides 'auto'. */
export const SANDBOX_BACKEND_NAMES = SANDBOX_BACKENDS.map((b) => b.name);
