// The chat page's stylesheet, served from the same origin so the CSP can forbid inline styles.
export const PAGE_CSS = `
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #1d2330; --muted: #687083; --user: #dbe8ff; --bot: #ffffff; --line: #d5d9e2; --warn: #b54708; --bad: #b42318; --ok: #067647; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171d; --fg: #e6e9ef; --muted: #98a0b3; --user: #22314d; --bot: #1d2129; --line: #333a48; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); display: flex; flex-direction: column; height: 100vh; }
header { display: flex; align-items: center; gap: .75rem; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.05rem; margin: 0; }
.spacer { flex: 1; }
.status { font-size: .8rem; color: var(--muted); }
.status[data-state="online"] { color: var(--ok); }
.status[data-state="reconnecting"] { color: var(--warn); }
#login { margin: 3rem auto; max-width: 26rem; width: 100%; padding: 0 1rem; }
#login form { display: flex; flex-direction: column; gap: .5rem; }
.hint { color: var(--muted); font-size: .85rem; }
main { flex: 1; display: flex; flex-direction: column; min-height: 0; max-width: 52rem; width: 100%; margin: 0 auto; }
#messages { list-style: none; margin: 0; padding: 1rem; flex: 1; overflow-y: auto; display: flex; flex-direction: column; gap: .6rem; }
.msg { max-width: 85%; padding: .5rem .75rem; border-radius: .6rem; border: 1px solid var(--line); white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.user { align-self: flex-end; background: var(--user); }
.msg.bot { align-self: flex-start; background: var(--bot); }
.meta { font-size: .75rem; color: var(--muted); margin-bottom: .2rem; }
.approval { border-left: 4px solid var(--warn); }
.approval h3 { font-size: .95rem; margin: 0 0 .3rem; }
.approval pre { margin: .3rem 0; padding: .5rem; background: var(--bg); border-radius: .3rem; max-height: 16rem; overflow: auto; white-space: pre-wrap; font-size: .8rem; }
.approval .actions { display: flex; gap: .5rem; flex-wrap: wrap; margin-top: .4rem; }
.level-critical { color: var(--bad); font-weight: 600; }
.level-high { color: var(--warn); font-weight: 600; }
.outcome { font-weight: 600; }
.outcome.approved { color: var(--ok); }
.outcome.denied, .outcome.expired { color: var(--bad); }
.thinking { margin: 0 1rem; color: var(--muted); }
.error { color: var(--bad); margin: .3rem 1rem; }
#send-form { display: flex; gap: .5rem; padding: .75rem 1rem; border-top: 1px solid var(--line); }
textarea { flex: 1; resize: vertical; font: inherit; padding: .5rem; border-radius: .4rem; border: 1px solid var(--line); background: var(--bot); color: var(--fg); }
input { font: inherit; padding: .45rem; border-radius: .4rem; border: 1px solid var(--line); }
button { font: inherit; padding: .4rem .8rem; border-radius: .4rem; border: 1px solid var(--line); background: var(--bot); color: var(--fg); cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
button.approve { border-color: var(--ok); }
button.deny { border-color: var(--bad); }
`;
