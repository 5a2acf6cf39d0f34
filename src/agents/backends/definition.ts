// What the sandbox backend registry (backends/index.ts) knows about a backend: its name (the
// value of sandbox.backend), how to probe this host for it and how to build it. A backend is
// one folder under backends/ exporting a SandboxBackendDefinition, plus one registry line.
// A definition holds no state and never starts an agent by itself: the agent manager does.
import type Docker from 'dockerode';
import type { Config } from '../../config/schema.js';
import type { SandboxBackend } from '../backend.js';
import type { AgentLogger } from '../logger.js';

export type IsolationStrength = 'strong' | 'weak';

/** One runtime a backend offers (docker: runsc, kata, runc; bubblewrap: itself) and what its probe found. */
export interface RuntimeCandidate {
  name: string;
  /** The Docker runtime name probed (null where the backend has no runtimes, e.g. bubblewrap). */
  runtime: string | null;
  strength: IsolationStrength;
  status: 'found' | 'rejected' | 'absent' | 'not-probed';
  reason: string;
  probeMs?: number;
}

/** The runtime detection picked: which backend, with which runtime. */
export interface BackendChoice {
  backend: string;
  runtime: string | null;
  strength: IsolationStrength;
}

export interface DetectOptions {
  /** The Docker engine client; null where the configuration rules Docker out. */
  docker: Docker | null;
  image: string;
  timeoutMs: number;
  requireStrong: boolean;
  /** sandbox.backend: 'auto' or one registered backend name. */
  backend: string;
  /** Probe every candidate instead of stopping at the first that works (for doctor). */
  probeAll?: boolean;
}

export interface BackendProbeContext extends DetectOptions {
  /** What a backend earlier in the registry already chose: probe no further unless probeAll. */
  chosen: BackendChoice | null;
  /** Why a candidate of this strength may not be used (require_strong_isolation), or null. */
  refusal(strength: IsolationStrength): string | null;
}

export interface BackendProbeResult {
  candidates: RuntimeCandidate[];
  /** This backend's pick, or null (then the next backend in the registry is asked). */
  chosen: BackendChoice | null;
  /** Whether the agent image is present (backends that run an image). */
  imagePresent?: boolean;
}

/** Everything a backend may be built from; one typed object, as every factory here takes. */
export interface BackendBuildDeps {
  sandbox: Config['sandbox'];
  /** The Docker engine client, when the configuration allows Docker. */
  docker: Docker | null;
  /** Label separating this gateway's containers from others on the same engine. */
  project: string;
  logger: AgentLogger;
  /** Host directory of the egress proxy's socket, bound read-only into every agent. */
  egressSocketDir?: string;
}

export interface SandboxBackendDefinition {
  /** The value of sandbox.backend that selects only this backend. */
  readonly name: string;
  /** Probes this host for the backend's runtimes, most isolating first. Never throws. */
  probe(ctx: BackendProbeContext): Promise<BackendProbeResult>;
  /** Builds the backend for a choice its probe made (or a runtime forced by tests and benchmarks). */
  create(choice: BackendChoice, deps: BackendBuildDeps): Promise<SandboxBackend>;
}
