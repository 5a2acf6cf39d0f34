// A conversation grant ("allow for this conversation") covers the person whose request was
// approved, not everyone who writes in that conversation (a group chat has many people).
// Grants from before this migration have no owner and keep covering the whole conversation.
export const migration005 = {
  version: 5,
  name: 'grant-owner',
  sql: `
ALTER TABLE conversation_grants ADD COLUMN granted_for TEXT;
`,
};
