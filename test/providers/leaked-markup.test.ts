// Leaked template and tool-call markup is removed from replies; ordinary text (including
// angle brackets and square brackets a person would write) is left exactly as it was.
import { describe, expect, it } from 'vitest';
import { cleanLeakedMarkup } from '../../src/providers/leaked-markup.js';

describe('cleanLeakedMarkup', () => {
  const cases: Array<[string, string, string]> = [
    ['ChatML turn tokens', '<|im_start|>assistant\nThe answer is 4.<|im_end|>', 'The answer is 4.'],
    ['a Hermes/Qwen tool call', 'Let me check.\n<tool_call>\n{"name": "calc_add", "arguments": {"a": 1}}\n</tool_call>', 'Let me check.'],
    ['an unclosed tool call', 'Sure <tool_call>{"name": "x"', 'Sure'],
    ['Mistral [TOOL_CALLS] with a JSON array', 'On it. [TOOL_CALLS][{"name": "calc_add", "arguments": {"a": [1, 2]}}] done', 'On it.  done'],
    ['Mistral [TOOL_CALLS] name[ARGS]', '[TOOL_CALLS]calc_add[ARGS]{"a": 1, "b": "}"}', ''],
    ['Llama 3 headers', '<|begin_of_text|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>', 'Hello!'],
    ['Llama python tag', 'Running it <|python_tag|>calc.add(1, 2)', 'Running it'],
    ['[INST] and <s>', '<s>[INST] hi [/INST] Hello</s>', 'hi  Hello'],
    ['Gemma turns', '<start_of_turn>model\nHi there<end_of_turn>', 'Hi there'],
    ['hidden reasoning', '<think>the user wants 4</think>It is 4.', 'It is 4.'],
    ['end-of-text', 'Done.<|endoftext|>', 'Done.'],
  ];
  for (const [name, input, expected] of cases) {
    it(`removes ${name}`, () => {
      expect(cleanLeakedMarkup(input)).toBe(expected);
    });
  }

  it('leaves ordinary text alone, brackets and all', () => {
    for (const text of ['a < b and c > d', 'Use [brackets] and <b>bold</b> in HTML', 'x = [1, 2, 3]', 'See <https://example.com>', '  spaced  ']) {
      expect(cleanLeakedMarkup(text)).toBe(text);
    }
  });
});
