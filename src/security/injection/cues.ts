// Cues that a passage is addressed to the AI reading it rather than being data: it names the
// assistant or model, tells it how to shape its answer, changes its task, or carries a
// chat-role marker. Each cue is weak on its own (a README says "you", a support e-mail says
// "reply"), so cues never flag a text and never become reasons: they are classifier features
// with a full weight of 1, which unlike word n-grams are not diluted by the length of the
// passage they occur in, so a one-line instruction planted in a long e-mail, table or code file
// still counts. General English wording, never phrases copied from a dataset. Patterns run on
// normalized, lower-cased text and must stay linear-time (no nested unbounded quantifiers).

export interface Cue {
  readonly name: string;
  readonly pattern: RegExp;
}

export const ADDRESSED_TO_AI_CUES: readonly Cue[] = [
  {
    // The reader named as an AI: "as an AI", "the assistant should", "dear language model".
    name: 'cue:names-the-assistant',
    pattern:
      /\b(?:(?:the|an?|this|dear|hey|attention|you(?:'re| are)(?: an?)?)\s+)(?:ai|assistant|chatbot|bot|language model|llm|large language model|ai model|ai assistant|gpt|chatgpt|model)\b(?![-\w])/,
  },
  {
    // Directions about the answer being written: "in your response", "respond with", "begin your reply".
    name: 'cue:shapes-the-answer',
    pattern:
      /\b(?:in|to|at the (?:start|end|beginning) of|into|within) your (?:response|answer|reply|summary|output|replies|responses|answers)\b|\b(?:respond|reply|answer) (?:only )?(?:with|by saying|in the form)\b|\b(?:begin|start|end|finish|conclude|prefix|append to) your (?:response|answer|reply|summary|output)\b|\bwhen (?:you )?(?:respond|answer|reply|summariz(?:e|ing)|generat(?:e|ing) (?:a|the|your) (?:response|answer|summary))\b/,
  },
  {
    // The task swapped for another: "instead, ...", "your new task", "rather than summarizing".
    name: 'cue:changes-the-task',
    pattern:
      /(?:^|[.!?:\n]\s*)instead\b|\byour (?:new |real |actual |only |main )?(?:task|job|goal|objective|mission|purpose) (?:is|now)\b|\brather than (?:summariz|answer|respond|translat|follow)\w*|\b(?:do not|don't|never) (?:summariz|answer|respond|translat|mention|reveal|tell)\w*\b[^.!?\n]{0,40}\b(?:user|question|email|document|text)\b|\bfrom now on\b|\bbefore (?:you )?(?:answer|respond|reply|summariz)\w*/,
  },
  {
    // A chat role marker inside data: "system:", "assistant:", "### instruction".
    name: 'cue:role-marker',
    pattern: /(?:^|\n)[ \t]*(?:#{1,4}[ \t]*)?(?:system|assistant|user|instruction|instructions|human|ai)[ \t]*:/,
  },
  {
    // An imperative opening a sentence and addressed to "you" later in it: "Tell the user you ...", "Please make sure you ...".
    name: 'cue:imperative-to-you',
    pattern:
      /(?:^|[.!?\n]\s*)(?:please\s+)?(?:tell|inform|remind|ask|urge|convince|persuade|make sure|ensure|remember|include|add|insert|append|mention|recommend|say|write|output|print|reply|respond|answer)\b[^.!?\n]{0,60}\b(?:you|your|the user|the reader|users)\b/,
  },
];

/** Names of the cues found in the (already normalized, lower-cased) text, in list order. */
export function addressedToAiCues(lowerText: string): string[] {
  return ADDRESSED_TO_AI_CUES.filter((cue) => cue.pattern.test(lowerText)).map((cue) => cue.name);
}
