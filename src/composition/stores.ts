// Composition step 2: the SQLite-backed stores later steps share. One instance of each per
// gateway, all over the same database handle; building them writes nothing.
import { ActionStore } from '../store/actions.js';
import { AgentStore } from '../store/agents.js';
import { ApiTokenStore } from '../store/api-tokens.js';
import { ApprovalStore } from '../store/approvals.js';
import { ConversationStore } from '../store/conversations.js';
import type { Db } from '../store/database.js';
import { createUsageStore, type UsageStore } from '../store/usage.js';

export interface Stores {
  conversations: ConversationStore;
  actions: ActionStore;
  approvals: ApprovalStore;
  agents: AgentStore;
  apiTokens: ApiTokenStore;
  usage: UsageStore;
}

export function buildStores({ db }: { db: Db }): Stores {
  return {
    conversations: new ConversationStore(db),
    actions: new ActionStore(db),
    approvals: new ApprovalStore(db),
    agents: new AgentStore(db),
    apiTokens: new ApiTokenStore(db),
    usage: createUsageStore(db),
  };
}
