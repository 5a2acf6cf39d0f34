// Public surface of the agent subsystem for the composition root, API and CLI.
export { createAgentManager, projectLabelFor, type AgentSubsystem, type CreateAgentManagerOptions, type SandboxInfo } from './create-agent-manager.js';
export { AgentManager, conversationKey } from './agent-manager.js';
export { buildSandboxImage, type BuildImageOptions, type BuildImageResult } from './image/build-image.js';
export { detectRuntime, type RuntimeDetection, type RuntimeCandidate } from './runtime-detect.js';
export type { AgentHandle, ExecRequest, ExecResult, Sandbox, SandboxLimits, AgentRequirements, LimitKind } from './sandbox.js';
