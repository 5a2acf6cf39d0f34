// The `securesphere` command. Each command group lives in commands/; this file only wires
// them. Errors print their message (never a stack) and exit non-zero.
import { Command } from 'commander';
import { describeError, isSecureSphereError } from '../core/errors.js';
import { createInjectionDetectorFromConfig } from '../security/injection/detector.js';
import { sentenceModelPath } from '../security/injection/semantic/location.js';
import { loadSkills } from '../skills/loader.js';
import { openApprovalsBackend, registerApprovalCommands } from './commands/approvals.js';
import { registerAgentCommands } from './commands/agents.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerChatCommand } from './commands/chat.js';
import { registerConfigCommands } from './commands/config.js';
import { openConversationsBackend, registerConversationCommands } from './commands/conversations.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerGuardCommands } from './commands/guard.js';
import { registerModelCommands } from './commands/model.js';
import { registerPairingCommands } from './commands/pairing.js';
import { registerSkillCommands } from './commands/skills.js';
import { registerSandboxCommands } from './commands/sandbox.js';
import { registerStartCommand } from './commands/start.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerUsageCommand } from './commands/usage.js';
import { registerVaultCommands } from './commands/vault.js';
import { loadConfigFor } from './global-options.js';

export function buildProgram(): Command {
  const program = new Command('securesphere')
    .description('Self-hosted, security-first chat-bot gateway')
    .option('-c, --config <file>', 'config file (default: $SECURESPHERE_CONFIG or ./securesphere.yaml)')
    .option('--data-dir <dir>', 'data directory (default: ./data or $SECURESPHERE_DATA_DIR)')
    .showHelpAfterError();
  registerStartCommand(program);
  registerChatCommand(program);
  registerConfigCommands(program);
  registerDoctorCommand(program);
  registerApprovalCommands(program, openApprovalsBackend);
  registerConversationCommands(program, openConversationsBackend);
  registerAgentCommands(program);
  registerSandboxCommands(program);
  registerVaultCommands(program);
  registerUsageCommand(program);
  registerAuditCommands(program);
  registerModelCommands(program);
  registerPairingCommands(program);
  registerTokenCommands(program);
  registerGuardCommands(program, (threshold) => {
    const { config } = loadConfigFor(program);
    const settings = threshold === undefined ? config.security.injection : { ...config.security.injection, threshold };
    return createInjectionDetectorFromConfig(settings, {
      sentenceModelPath: sentenceModelPath(config.data_dir),
      onFallback: (message) => process.stderr.write(`${message}\n`),
    });
  });
  registerSkillCommands(program, async (command) => {
    const { config } = loadConfigFor(command);
    return loadSkills({ extraDirs: config.skills.extra_dirs, enabled: config.skills.enabled });
  });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const code = isSecureSphereError(err) ? ` [${err.code}]` : '';
    console.error(`securesphere: ${describeError(err)}${code}`);
    process.exitCode = 1;
  }
}
