// A modest set of generic injection patterns. Each names the technique it catches so a
// flagged text can say why. These are deliberately broad families (not phrases copied from
// any dataset); the classifier carries most of the weight and uses rule hits as features.
// Patterns run on normalized, lower-cased text and must stay linear-time (no nested
// unbounded quantifiers). The same families in other languages: rules-multilingual.ts.
import { multilingualFamilies } from './rules-multilingual.js';

export interface InjectionRule {
  readonly name: string;
  readonly pattern: RegExp;
}

// Up to three filler words between key terms, never across a sentence end.
const W = String.raw`(?:\s+[^\s.!?;]+){0,3}?\s+`;

export const INJECTION_RULES: readonly InjectionRule[] = [
  {
    name: 'instruction-override',
    pattern: new RegExp(
      String.raw`\b(?:ignore|disregard|forget|override|overwrite|bypass|skip|discard|abandon)${W}(?:previous|prior|above|earlier|preceding|initial|original|system|all|any|your|the)${W}(?:instructions?|prompts?|rules|directions|guidelines|directives|context|messages|commands|orders)\b`,
    ),
  },
  {
    name: 'instruction-override',
    pattern: /\b(?:new|updated|real|actual) (?:instructions?|rules|task|objective)s?\s*(?::|are|is)/,
  },
  {
    // "forget everything you were told before", "disregard all of the above": no noun for the instructions.
    name: 'instruction-override',
    pattern:
      /\b(?:ignore|disregard|forget|discard)\s+(?:about\s+)?(?:everything|all|anything)(?:\s+of)?(?:\s+(?:that|what))?\s+(?:(?:you\s+(?:were|have\s+been|'ve\s+been)\s+(?:told|given|taught|instructed))|(?:you\s+(?:have\s+|'ve\s+)?(?:learned|learnt))|(?:i|we)\s+(?:said|told\s+you)|(?:the\s+)?above|before|so\s+far|previously|earlier)\b/,
  },
  {
    name: 'role-reassignment',
    pattern:
      /\b(?:you are now|from now on,? you|you will now (?:act|be|respond)|act as (?:an? |my |your )?(?:unrestricted|unfiltered|uncensored|jailbroken)|pretend (?:to be|you are) (?:an? )?(?:unrestricted|unfiltered|evil|different)|developer mode|do anything now|jailbroken|(?:no|without) (?:any )?(?:ethical|moral|content) (?:guidelines|restrictions|limits|filters|boundaries))\b/,
  },
  {
    // Safety switched off by name: "uncensored", "without refusal or disclaimers", "broke
    // through the restrictions", "stay in APOPHIS mode", "[🔓JAILBREAK]".
    name: 'role-reassignment',
    pattern:
      /\b(?:uncensored|unfiltered|amoral)\b|\bwithout (?:any )?(?:refusals?|refusing|disclaimers?|censorship|filters?)\b|\b(?:break|broke|broken|breaking) (?:free (?:of|from) |through )(?:the |his |her |its |their |all |any )?(?:restrictions|rules|limits|confines|guidelines)\b|\bstay in (?:character|[a-z]+ mode)\b|\bjailbreak\b/,
  },
  {
    name: 'system-prompt-exfiltration',
    pattern: new RegExp(
      String.raw`\b(?:reveal|print|show|output|repeat|display|tell me|leak|share|write out|dump|recite)${W}(?:your|the|all|any)${W}(?:system prompt|initial prompt|hidden prompt|pre-?prompt|instructions|prompt above|text above|rules you were given|configuration|password|secret|database|credentials)\b`,
    ),
  },
  {
    name: 'system-prompt-exfiltration',
    pattern: /\b(?:above|previous|prior|preceding) (?:text|instructions|prompt|content) verbatim\b|\bverbatim\b.{0,40}\b(?:instructions|prompt)\b/,
  },
  {
    // The secret asked for outright: "what is the password?", "I need you to confirm the access code".
    name: 'system-prompt-exfiltration',
    pattern:
      /\b(?:what(?:'s| is| was)|confirm|give me|hand over|disclose|provide|send me|share)\b[^.!?\n]{0,30}?\b(?:the|your)\s+(?:password|passphrase|passcode|access code|secret (?:key|code|word))\b(?!\s+(?:policy|policies|manager|requirements?|reset|field|strength|rules|length|hash|hint))/,
  },
  {
    // Speaking as the vendor, the operator or the system: "<SYSTEM MODE>", "As an AI developed by
    // OpenAI, I need to verify...", "I am your developer", "switch to god mode".
    name: 'authority-impersonation',
    pattern:
      /(?:^|\n)\s*(?:<|\[)\s*(?:system|admin|administrator|developer|root|operator)(?: mode| message| override| note| command| instructions?)?\s*(?:>|\])|\bas (?:an? |the )?(?:ai|assistant|language model|llm|model) (?:developed|created|built|trained|made) by\b|\bi(?:'m| am) (?:your|the) (?:developer|creator|administrator|admin|owner|operator|supervisor|boss)\b|\b(?:god|sudo|unrestricted|override) mode\b/,
  },
  {
    // Someone else's personal data asked for: "share the user's email address", "tell me Richard's
    // birth date", "what is John Doe's bank balance". Any detail of "the user"; of a named person,
    // only what nobody asks of a shop or a company ("the restaurant's phone number" is no attack).
    name: 'personal-data-request',
    pattern:
      /\b(?:share|give me|tell me|reveal|disclose|send me|provide|print|list|what(?:'s| is| are))\b[^.!?\n]{0,40}?(?:\b(?:the user'?s?|(?:other|another) users?'?s?)\s+(?:personal (?:data|information|details)|e-?mail address|home address|address|phone number|birth ?date|date of birth|passwords?|bank (?:balance|account(?: number)?)|credit card(?: number)?|social security number|(?:current )?location)|\b[a-z]+'s\s+(?:personal (?:data|information|details)|home address|birth ?date|date of birth|passwords?|bank (?:balance|account number)|credit card number|social security number))\b|\bwhere (?:does|do) (?:the )?users? (?:currently )?live\b/,
  },
  {
    name: 'tool-use-coercion',
    pattern:
      /\b(?:run|execute|call|invoke|trigger) (?:the |this |a |following )?(?:tool|function|command|shell|script|code|terminal)\b|\bcurl\s+\S+\s*\|\s*(?:ba)?sh\b|\brm\s+-rf\b|\bexfiltrat\w*/,
  },
  {
    name: 'tool-use-coercion',
    pattern: new RegExp(
      String.raw`\b(?:send|forward|email|post|upload|transfer)${W}(?:passwords?|credentials|api keys?|tokens?|secrets?|private keys?|conversation|chat history|files?)${W}(?:to|at)\b`,
    ),
  },
  {
    name: 'hidden-instruction-marker',
    pattern:
      /<!--[^>]{0,400}?\b(?:ignore|instructions?|assistant|ai|model|llm|you must|print|say|respond)\b|\b(?:note|message|instructions?) (?:to|for) (?:the )?(?:ai|assistant|model|llm|chatbot|language model)\b|\b(?:attention|dear|hey|hi)[,:]? (?:ai|assistant|chatgpt|llm|language model)\b/,
  },
  {
    name: 'hidden-instruction-marker',
    pattern: /(?:^|\n)[ \t]*(?:\/\/|#|\/\*|--)[ \t]*(?:ai|assistant|llm|model)[ \t]*(?:note|instruction)?s?[ \t]*:/,
  },
];

/** Names of the rules that match the (already normalized) text, each once, in rule order. */
export interface RuleMatches {
  /** Every family that matched, each once: English rules first, in rule order. */
  readonly hits: string[];
  /** The families found by the rules of other languages (they add an English gloss to the features). */
  readonly multilingual: string[];
}

/** Rule families in the (already normalized) text, and which of them another language's rules found. */
export function matchRuleFamilies(normalizedText: string): RuleMatches {
  const lower = normalizedText.toLowerCase();
  const hits: string[] = [];
  for (const rule of INJECTION_RULES) {
    if (hits.includes(rule.name)) continue;
    if (rule.pattern.test(lower)) hits.push(rule.name);
  }
  const multilingual = multilingualFamilies(lower);
  for (const family of multilingual) if (!hits.includes(family)) hits.push(family);
  return { hits, multilingual };
}

/** Names of the rules that match the (already normalized) text, each once. */
export function matchRules(normalizedText: string): string[] {
  return matchRuleFamilies(normalizedText).hits;
}
