// Numbered migrations, applied in order, each in its own transaction. Add one by adding a
// file and one line here; never edit a migration that has shipped.
import { migration001 } from './001-core.js';
import { migration002 } from './002-security.js';
import { migration003 } from './003-channels.js';
import { migration004 } from './004-api-tokens.js';
import { migration005 } from './005-grant-owner.js';
import { migration006 } from './006-providers.js';
import { migration007 } from './007-reply-drafts.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007];
