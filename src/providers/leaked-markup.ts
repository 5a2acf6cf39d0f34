// Removes chat-template and tool-call markup a model sometimes leaks into its reply text
// (`<|im_start|>`, `<tool_call>{…}</tool_call>`, `[TOOL_CALLS][…]`, `[INST]`, `<think>…</think>`,
// Llama and Gemma turn tokens, …) before the text reaches a channel or the history. It only
// removes markup and what the markup wraps; it never rewrites the words around it.

/** Blocks removed with their contents (a leaked tool call or hidden reasoning). */
const BLOCKS: RegExp[] = [
  /<tool_call>[\s\S]*?(<\/tool_call>|$)/gi,
  /<function=[^>]*>[\s\S]*?(<\/function>|$)/gi,
  /<think>[\s\S]*?(<\/think>|$)/gi,
  /<\|python_tag\|>[\s\S]*$/gi,
  /<\|tool_calls?_(section_)?begin\|>[\s\S]*?(<\|tool_calls?_(section_)?end\|>|$)/gi,
];

/** Role headers: the token and the role name after it. */
const HEADERS: RegExp[] = [
  /<\|im_start\|>\s*(system|user|assistant|tool)?\s*/gi,
  /<\|start_header_id\|>\s*\w*\s*<\|end_header_id\|>\s*/gi,
  /<start_of_turn>\s*(user|model)?\s*/gi,
];

/** Single tokens. */
const TOKENS: RegExp[] = [
  /<\|[a-z0-9_]{1,40}\|>/gi,
  /<\/?(s|end_of_turn|tool_response|tool_call|think)>/gi,
  /\[\/?(INST|SYS|AVAILABLE_TOOLS|TOOL_RESULTS)\]/g,
  /<<\/?SYS>>/g,
];

export function cleanLeakedMarkup(text: string): string {
  if (!/[<[]/.test(text)) return text;
  let out = text;
  for (const re of BLOCKS) out = out.replace(re, '');
  out = stripMistralToolCalls(out);
  for (const re of HEADERS) out = out.replace(re, '');
  for (const re of TOKENS) out = out.replace(re, '');
  return out === text ? text : out.replace(/\n{3,}/g, '\n\n').trim();
}

/** Whether the text carries markup this module removes (for logs and tests). */
export function hasLeakedMarkup(text: string): boolean {
  return cleanLeakedMarkup(text) !== text;
}

/** `[TOOL_CALLS]` followed by a JSON array or `name[ARGS]{…}`: the marker and its payload go. */
function stripMistralToolCalls(text: string): string {
  let out = text;
  for (let guard = 0; guard < 20; guard++) {
    const at = out.indexOf('[TOOL_CALLS]');
    if (at < 0) return out;
    let end = at + '[TOOL_CALLS]'.length;
    const rest = out.slice(end);
    const lead = rest.length - rest.trimStart().length;
    const open = rest.trimStart()[0];
    if (open === '[' || open === '{') {
      end += lead + balancedLength(rest.slice(lead));
    } else {
      const args = /^\s*[\w.-]+\s*\[ARGS\]\s*/.exec(rest);
      if (args) end += args[0].length + balancedLength(rest.slice(args[0].length));
    }
    out = out.slice(0, at) + out.slice(end);
  }
  return out;
}

/** Length of the balanced JSON value at the start of `s` (to the end when unbalanced). */
function balancedLength(s: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return s.length;
}
