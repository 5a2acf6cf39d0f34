// The single path from raw text to a score, shared by the detector, training and
// cross-validation so that what is measured is exactly what ships.
// Long texts (tool output) are also scored chunk by chunk and the highest score wins: an
// instruction planted in the middle of a long email or table is otherwise diluted by the
// surrounding harmless data. Multi-line documents (code, tables, e-mail, web pages) are
// scored in short segments instead, whose features include the addressed-to-the-AI cues of
// cues.ts: a one-line instruction planted there is most of its segment.
import { normalizeText, type NormalizedText } from './normalize.js';
import { matchRuleFamilies } from './rules.js';
import { glossesFor } from './rules-multilingual.js';
import { addressedToAiCues } from './cues.js';
import { holdsOffShapeLine, offShapeLines, OFF_SHAPE_CUE } from './shape.js';
import { extractFeatures, DEFAULT_MIN_FEATURE_COUNT, type SparseVector } from './features.js';
import { margin, sigmoid, type LinearModel } from './model.js';

export interface TextAnalysis {
  readonly normalized: NormalizedText;
  /** Rule names and normalization signals, in a stable order; these become reasons. */
  readonly reasons: readonly string[];
  readonly features: SparseVector;
  /** Whether the text is a document (code, table, e-mail, web page): scored in segments. */
  readonly document: boolean;
}

export interface ScoringOptions {
  /** Texts longer than this are also scored in chunks of about this size. */
  readonly chunkChars: number;
  /** Lowest score of a text that hits a high-precision rule (0 disables the floor). */
  readonly ruleFloor: number;
  /** Feature vectors are normalized as if they had at least this many features. */
  readonly minFeatureCount: number;
  /**
   * Documents (texts of at least `segmentMinLines` lines: code, tables, e-mail, web pages) longer
   * than 1.5 times this are scored in segments of about this size instead of chunks (0 disables).
   */
  readonly segmentChars: number;
  readonly segmentMinLines: number;
  /**
   * Whether addressed-to-the-AI cues (cues.ts) are features of chunks and segments. Never of the
   * whole text: a chat message is addressed to the assistant by nature, a passage inside a
   * document is not.
   */
  readonly pieceCues: boolean;
  /**
   * Added to the log-odds of a document that holds lines of prose inside a table (shape.ts). That
   * is where a planted instruction sits, and ordinary tables have no such line: 12 of the 4,203
   * benign training rows have one (none scores over 0.44), 298 injections do. The cue alone,
   * weighted by the log-loss, left 36 of those injections under the threshold (fold seed 11),
   * 34 of them over 0.1.
   * Over fold seeds 7 / 3 / 11, dev rows' TPR at the shipped targets: 0 gave 88.5 / 88.8 / 88.5%;
   * 0.5 88.7 / 89.1 / 88.7%; 1 89.0 / 89.6 / 88.9%; 1.25 89.1 / 89.7 / 88.3% (the threshold rose on
   * seed 11: a few long role-play requests with lists are such documents); 2 89.0 / 89.9 / 87.7%.
   */
  readonly offShapeLift: number;
}

export const DEFAULT_SCORING: ScoringOptions = {
  chunkChars: 600,
  ruleFloor: 0.95,
  minFeatureCount: DEFAULT_MIN_FEATURE_COUNT,
  segmentChars: 100,
  segmentMinLines: 6,
  pieceCues: true,
  offShapeLift: 1,
};

// Signals that have no business in a user message or a tool result, so they flag a text
// whatever the classifier says. Wording rules (override, role, exfiltration) also occur in
// harmless fiction and security questions, so they only feed the classifier.
const HIGH_PRECISION_REASONS: ReadonlySet<string> = new Set([
  'hidden-instruction-marker',
  'chat-template-token',
  'unicode-tag-smuggling',
]);

/** Rule hits over the text and its decoded runs, and the English glosses of the multilingual ones. */
function ruleHits(normalized: NormalizedText): { hits: string[]; glosses: string[] } {
  const hits = new Set<string>();
  const multilingual = new Set<string>();
  for (const text of [normalized.text, ...normalized.decoded]) {
    const found = matchRuleFamilies(text);
    for (const hit of found.hits) hits.add(hit);
    for (const family of found.multilingual) multilingual.add(family);
  }
  return { hits: [...hits], glosses: glossesFor(multilingual) };
}

/** The whole text's analysis; a document's words also go into the document namespace (features.ts). */
export function analyzeText(text: string, options: ScoringOptions = DEFAULT_SCORING): TextAnalysis {
  const normalized = normalizeText(text);
  const { hits, glosses } = ruleHits(normalized);
  const reasons = [...hits, ...normalized.signals];
  // Attack phrasing in another language also contributes the words of its English gloss.
  const decoded = [...normalized.decoded, ...glosses];
  const document = isDocument(normalized.text, options);
  const features = extractFeatures({ ...normalized, decoded }, reasons, options.minFeatureCount, document);
  return { normalized, reasons, features, document };
}

/** Where a piece was cut from: a document (a segment of it) and its lines of prose inside data (shape.ts). */
export interface PieceSource {
  readonly document: boolean;
  readonly offLines: readonly string[];
}

const NOT_A_DOCUMENT: PieceSource = { document: false, offLines: [] };

/**
 * Features of a piece of already-normalized text (a chunk or segment of a longer one). A segment
 * of a document also has its words in the document namespace (features.ts) and, when it holds a
 * line of prose inside data, the cue for it.
 */
export function pieceFeatures(piece: string, options: ScoringOptions, source: PieceSource = NOT_A_DOCUMENT): SparseVector {
  const found = matchRuleFamilies(piece);
  // Cues are features only, never reasons: each is common in harmless documents on its own.
  const signals = options.pieceCues ? [...found.hits, ...addressedToAiCues(piece.toLowerCase())] : [...found.hits];
  if (options.pieceCues && source.offLines.length > 0 && holdsOffShapeLine(piece, source.offLines)) signals.push(OFF_SHAPE_CUE);
  return extractFeatures({ text: piece, decoded: glossesFor(found.multilingual), signals: [] }, signals, options.minFeatureCount, source.document);
}

/**
 * Cuts a chunk longer than `size` (a text with no line or sentence end: minified JSON or HTML)
 * into overlapping slices, so no part of it escapes scoring behind the feature extractor's length
 * cap, and a phrase on a cut is whole in one slice. Scoring only: training keeps whole chunks.
 */
export function slices(piece: string, size: number): string[] {
  if (piece.length <= size) return [piece];
  const overlap = Math.min(256, Math.floor(size / 4));
  const out: string[] = [];
  for (let at = 0; at < piece.length - overlap; at += size - overlap) out.push(piece.slice(at, at + size));
  return out;
}

/** Splits at line or sentence ends into pieces of roughly `size` characters. */
export function splitIntoChunks(text: string, size: number): string[] {
  const pieces = text.split(/(?<=[\n.!?])\s+/);
  const chunks: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current.length > 0 && current.length + piece.length > size) {
      chunks.push(current);
      current = '';
    }
    current = current.length > 0 ? `${current} ${piece}` : piece;
  }
  if (current.trim().length > 0) chunks.push(current);
  return chunks;
}

function lineCount(text: string): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines += 1;
  return lines;
}

/** Whether a normalized text is a document (code, table, e-mail, web page): scored in segments. */
function isDocument(body: string, options: ScoringOptions): boolean {
  return options.segmentChars > 0 && body.length > options.segmentChars * 1.5 && lineCount(body) >= options.segmentMinLines;
}

/**
 * Where the pieces of a normalized text come from: whether it is scored as a document, and its
 * lines of prose inside data (shape.ts; none for other texts, whose pieces never carry the cue).
 * Training uses this too, so its pieces get the features scoring's would.
 */
export function pieceSource(body: string, options: ScoringOptions): PieceSource {
  return sourceOf(body, isDocument(body, options));
}

function sourceOf(body: string, document: boolean): PieceSource {
  return document ? { document: true, offLines: offShapeLines(body) } : NOT_A_DOCUMENT;
}

export interface PreparedText {
  readonly reasons: readonly string[];
  /** The whole text's vector first, then one per segment (documents) or chunk (other long texts). */
  readonly vectors: readonly SparseVector[];
  /** The rule floor that applies to this text (0 when no high-precision rule hit). */
  readonly floor: number;
  /** Added to the classifier's log-odds: `offShapeLift` for a document with prose inside data, else 0. */
  readonly lift: number;
  /** Scored in segments (code, table, e-mail, web page); the sentence embedding's stage skips these. */
  readonly document: boolean;
}

/** Pieces of about `size` characters cut at line or sentence ends, none longer than `size`. */
export function pieces(text: string, size: number): string[] {
  return splitIntoChunks(text, size).flatMap((c) => slices(c, size));
}

export function prepareText(text: string, options: ScoringOptions = DEFAULT_SCORING): PreparedText {
  const analysis = analyzeText(text, options);
  const vectors = [analysis.features];
  const body = analysis.normalized.text;
  // A document is scored in short segments (a line or a sentence or two: where a planted
  // instruction is most of the piece), other long texts (chat, prose) in ~600-character chunks:
  // segments of a long chat request flag it too often, and it has no data to hide in.
  // analyzeText already knows whether it is a document: no second count of the text's lines.
  const source = sourceOf(body, analysis.document);
  if (source.document) {
    for (const segment of pieces(body, options.segmentChars)) vectors.push(pieceFeatures(segment, options, source));
  } else if (options.chunkChars > 0 && body.length > options.chunkChars * 1.5) {
    for (const chunk of pieces(body, options.chunkChars)) vectors.push(pieceFeatures(chunk, options));
  }
  const floor = analysis.reasons.some((r) => HIGH_PRECISION_REASONS.has(r)) ? options.ruleFloor : 0;
  const lift = source.offLines.length > 0 ? options.offShapeLift : 0;
  return { reasons: analysis.reasons, vectors, floor, lift, document: source.document };
}

/**
 * The classifier's highest probability over the whole text, its chunks and its segments, its
 * log-odds raised by the text's lift (a table with prose inside it).
 */
export function classifierScore(model: LinearModel, prepared: PreparedText): number {
  return sigmoid(classifierMargin(model, prepared));
}

/** The same as log-odds: the highest piece's margin plus the text's lift. */
export function classifierMargin(model: LinearModel, prepared: PreparedText): number {
  let highest = -Infinity;
  for (const vector of prepared.vectors) highest = Math.max(highest, margin(model, vector));
  return highest + prepared.lift;
}

/**
 * The score with a lift added to the classifier's log-odds (the second stage's, semantic/); the
 * rule floor still holds.
 */
export function liftedScore(prepared: Pick<PreparedText, 'floor'>, classifierLogOdds: number, lift: number): number {
  return Math.max(prepared.floor, sigmoid(classifierLogOdds + lift));
}
