// The skeleton every SDK-backed provider shares (OpenAI, Anthropic, Google, Mistral): each call
// under its deadline, each failure typed into the error catalogue, the streaming loop's
// accumulation of text, tool calls, usage and stop reason, and the health probe. A vendor
// passes only its translation (request body, SDK calls, response and chunk mapping, which SDK
// errors mean what). It must never import a vendor SDK or know a vendor's wire shapes.
import type { ToolCall } from '../core/types.js';
import { openDeadline } from './call-deadline.js';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth, StopReason, StreamHandlers, TokenUsage, ToolCallDelta } from './provider.js';
import { classifyHttpFailure, displayHost, displayModel, malformedStream, providerTimeout, type FailureContext, type HttpFailure } from './provider-errors.js';
import { createToolCallAssembler } from './tool-call-assembler.js';
import type { ProfileSettings } from './vendor.js';

/** What a vendor's streaming loop reports, piece by piece; the skeleton keeps the totals. */
export interface StreamSink {
  /** A piece of answer text: passed on to the caller and added to the reply. */
  text(piece: string): void;
  /** A fragment of a tool call: passed on and assembled by its index. */
  toolCallDelta(delta: ToolCallDelta): void;
  /** A tool call that arrives whole (Gemini): passed on as one delta and kept as it is. */
  wholeToolCall(call: ToolCall): void;
  /** The usage reported so far; undefined keeps the last one. */
  usage(usage: TokenUsage | undefined): void;
  /** The vendor's own stop reason, as it stands (the last one set is mapped at the end). */
  stop(reason: string | null | undefined): void;
}

export interface VendorTranslation<Body extends { model: string }> {
  /** Provider name, e.g. "openai". */
  name: string;
  /** The vendor as named in messages, e.g. "OpenAI". */
  vendorLabel: string;
  baseUrl: string;
  settings: ProfileSettings;
  /** The vendor's request for one call (the signal for SDKs that take it inside the request). */
  body(request: ChatRequest, signal: AbortSignal): Body;
  /** One whole answer, already mapped. */
  complete(body: Body, signal: AbortSignal): Promise<ChatResponse>;
  /** Runs the streaming call, reporting every chunk to the sink. */
  stream(body: Body, signal: AbortSignal, sink: StreamSink): Promise<void>;
  /** The vendor's stop reason in the neutral vocabulary (some vendors need to know whether tools were called). */
  stopReasonOf(reason: string | null | undefined, sawToolCalls: boolean): StopReason;
  /** A cheap call that succeeds when the server is up and knows the profile's model. */
  probe(signal: AbortSignal): Promise<unknown>;
  /** What an SDK error says in HTTP terms; undefined for anything it does not recognise (a broken stream). */
  classify(err: unknown): HttpFailure | undefined;
}

const HEALTH_TIMEOUT_MS = 5_000;

export function createVendorProvider<Body extends { model: string }>(vendor: VendorTranslation<Body>): Provider {
  const { settings, baseUrl } = vendor;
  const ctx = (model: string): FailureContext => ({ vendor: vendor.vendorLabel, baseUrl, model, timeoutMs: settings.timeoutMs });

  function failure(err: unknown, model: string, timedOut: boolean, cancelled: boolean): unknown {
    if (timedOut) return providerTimeout(ctx(model), err);
    const known = vendor.classify(err);
    // An SDK's own timeout is a timeout even when the caller has cancelled meanwhile.
    if (known?.timedOut) return providerTimeout(ctx(model), err);
    if (cancelled) return err;
    return known ? classifyHttpFailure(known, ctx(model), err) : malformedStream(ctx(model), err);
  }

  async function underDeadline<T>(request: ChatRequest, work: (body: Body, signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = openDeadline(settings.timeoutMs, request.signal);
    const body = vendor.body(request, deadline.signal);
    try {
      return await deadline.run(work(body, deadline.signal));
    } catch (err) {
      throw failure(err, body.model, deadline.timedOut, deadline.cancelled);
    } finally {
      deadline.dispose();
    }
  }

  const chat = (request: ChatRequest): Promise<ChatResponse> => underDeadline(request, (body, signal) => vendor.complete(body, signal));

  const chatStream = (request: ChatRequest, handlers: StreamHandlers): Promise<ChatResponse> =>
    underDeadline(request, async (body, signal) => {
      const stream = createStreamTotals(handlers);
      await vendor.stream(body, signal, stream.sink);
      return stream.response(vendor.stopReasonOf);
    });

  async function health(): Promise<ProviderHealth> {
    const deadline = openDeadline(Math.min(settings.timeoutMs, HEALTH_TIMEOUT_MS));
    try {
      await deadline.run(vendor.probe(deadline.signal));
      return { ok: true, detail: `${vendor.vendorLabel} at ${displayHost(baseUrl)}, model ${displayModel(settings.model)} available` };
    } catch (err) {
      const typed = failure(err, settings.model, deadline.timedOut, false);
      return { ok: false, detail: typed instanceof Error ? typed.message : String(typed) };
    } finally {
      deadline.dispose();
    }
  }

  return { name: vendor.name, chat, chatStream, health };
}

/** The running totals of one streamed answer, fed through its sink. */
function createStreamTotals(handlers: StreamHandlers): {
  sink: StreamSink;
  response(stopReasonOf: VendorTranslation<{ model: string }>['stopReasonOf']): ChatResponse;
} {
  let text = '';
  let stop: string | null | undefined;
  let usage: TokenUsage | undefined;
  const assembled = createToolCallAssembler();
  const whole: ToolCall[] = [];
  const sink: StreamSink = {
    text(piece) {
      text += piece;
      handlers.onText(piece);
    },
    toolCallDelta(delta) {
      assembled.add(delta);
      handlers.onToolCallDelta?.(delta);
    },
    wholeToolCall(call) {
      handlers.onToolCallDelta?.({ index: whole.length, id: call.id, name: call.name, argumentsDelta: JSON.stringify(call.arguments) });
      whole.push(call);
    },
    usage(next) {
      usage = next ?? usage;
    },
    stop(reason) {
      stop = reason;
    },
  };
  return {
    sink,
    response(stopReasonOf) {
      // A vendor streams its calls either in fragments or whole, never both.
      const toolCalls = [...assembled.calls(), ...whole];
      return { text, toolCalls, stopReason: stopReasonOf(stop, toolCalls.length > 0), ...(usage ? { usage } : {}) };
    },
  };
}
