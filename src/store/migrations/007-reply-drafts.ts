// Streamed reply drafts on chat platforms: a draft is an outbox row the host posted itself
// (state delivered, with its platform message id) while the model was still writing. `draft`
// says where it stands: posting (sent, id not yet known), open (shown, to be replaced by the
// final reply), closed (replaced, or marked interrupted after a restart). NULL for every
// ordinary row.
export const migration007 = {
  version: 7,
  name: 'reply-drafts',
  sql: `
ALTER TABLE outbox ADD COLUMN draft TEXT CHECK (draft IN ('posting','open','closed'));
CREATE INDEX outbox_open_drafts ON outbox(draft) WHERE draft IN ('posting','open');
`,
};
