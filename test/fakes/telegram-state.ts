// What the Telegram stand-in remembers and how each Bot API method changes it: chats seen, the
// messages in them (the bot's own, with every edit), the update queue, callback queries and
// their answers, commands, chat actions, the webhook. Methods validate their parameters the
// way the real server does and answer with its error texts; nothing here touches a socket.
import { parseHtml, type WireEntity } from './telegram-html.js';

export interface WireUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
  last_name?: string;
  language_code?: string;
}

export interface WireChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  first_name?: string;
  username?: string;
  is_forum?: boolean;
}

export interface WireMessage {
  message_id: number;
  /** Forum supergroups: the topic, with is_topic_message. */
  message_thread_id?: number;
  is_topic_message?: boolean;
  from?: WireUser;
  chat: WireChat;
  date: number;
  edit_date?: number;
  text?: string;
  entities?: WireEntity[];
  reply_to_message?: WireMessage;
  reply_markup?: { inline_keyboard: Array<Array<{ text: string; callback_data?: string; url?: string }>> };
  document?: { file_id: string; file_unique_id: string; file_name?: string; file_size?: number };
  caption?: string;
}

export interface WireUpdate {
  update_id: number;
  [kind: string]: unknown;
}

export class ApiError {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {}
}

export interface CallbackQueryRecord {
  id: string;
  from: WireUser;
  message: WireMessage;
  data: string;
  answered?: { text?: string; show_alert?: boolean; url?: string };
}

export interface DocumentRecord {
  chatId: number;
  messageId: number;
  fileName: string;
  content: string;
  caption?: string;
}

const MAX_TEXT = 4096;
const CHAT_ACTIONS = new Set(['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note']);

export function createTelegramState(bot: WireUser) {
  const chats = new Map<number, WireChat>();
  const messages = new Map<number, WireMessage[]>();
  const nextMessageId = new Map<number, number>();
  const updates: WireUpdate[] = [];
  let nextUpdateId = 100_000 + Math.floor(Math.random() * 1000);
  const callbackQueries = new Map<string, CallbackQueryRecord>();
  let nextCallbackId = 1;
  let commands: unknown[] = [];
  const chatActions: Array<{ chatId: number; action: string }> = [];
  const documents: DocumentRecord[] = [];
  const edits: Array<{ chatId: number; messageId: number; text?: string; markup?: unknown }> = [];
  let webhook: { url: string; secretToken?: string; allowedUpdates?: string[] } | undefined;
  let allowedUpdates: string[] | undefined;

  const now = () => Math.floor(Date.now() / 1000);

  function rememberChat(chat: WireChat): void {
    chats.set(chat.id, { ...chats.get(chat.id), ...chat });
  }

  function store(chatId: number, message: Omit<WireMessage, 'message_id'>): WireMessage {
    const id = nextMessageId.get(chatId) ?? 1;
    nextMessageId.set(chatId, id + 1);
    const full = { message_id: id, ...message } as WireMessage;
    const list = messages.get(chatId) ?? [];
    list.push(full);
    messages.set(chatId, list);
    return full;
  }

  function findMessage(chatId: number, messageId: number): WireMessage | undefined {
    return messages.get(chatId)?.find((m) => m.message_id === messageId);
  }

  function chatFor(raw: unknown): WireChat {
    const id = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    const chat = typeof id === 'number' ? chats.get(id) : undefined;
    if (!chat) throw new ApiError(400, 'Bad Request: chat not found');
    return chat;
  }

  function renderText(raw: unknown, parseMode: unknown, entities: unknown, field = 'message text'): { text: string; entities?: WireEntity[] } {
    if (typeof raw !== 'string' || raw.trim() === '') throw new ApiError(400, `Bad Request: ${field} is empty`);
    let text = raw;
    let parsed: WireEntity[] | undefined = Array.isArray(entities) ? (entities as WireEntity[]) : undefined;
    if (parseMode === 'HTML') {
      const result = parseHtml(raw);
      if (!result.ok) throw new ApiError(400, result.error);
      text = result.text;
      parsed = result.entities;
    } else if (parseMode !== undefined && parseMode !== '') {
      if (parseMode !== 'MarkdownV2' && parseMode !== 'Markdown') throw new ApiError(400, `Bad Request: unsupported parse_mode "${String(parseMode)}"`);
      throw new ApiError(501, 'The Telegram stand-in implements parse_mode HTML only; extend test/fakes/telegram-html.ts');
    }
    if (text.trim() === '') throw new ApiError(400, `Bad Request: ${field} is empty`);
    if (text.length > MAX_TEXT) throw new ApiError(400, `Bad Request: ${field === 'message text' ? 'message' : field} is too long`);
    return parsed && parsed.length > 0 ? { text, entities: parsed } : { text };
  }

  function checkMarkup(markup: unknown): WireMessage['reply_markup'] | undefined {
    if (markup === undefined) return undefined;
    const keyboard = (markup as { inline_keyboard?: unknown }).inline_keyboard;
    if (!Array.isArray(keyboard) || !keyboard.every(Array.isArray)) throw new ApiError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object");
    for (const row of keyboard as unknown[][]) {
      for (const button of row as Array<Record<string, unknown>>) {
        if (typeof button?.text !== 'string' || button.text === '') throw new ApiError(400, 'Bad Request: BUTTON_TEXT_EMPTY');
        const data = button.callback_data;
        if (data !== undefined && (typeof data !== 'string' || Buffer.byteLength(data) < 1 || Buffer.byteLength(data) > 64)) {
          throw new ApiError(400, 'Bad Request: BUTTON_DATA_INVALID');
        }
      }
    }
    return markup as WireMessage['reply_markup'];
  }

  function ownMessage(params: Record<string, unknown>): WireMessage {
    if (params.inline_message_id !== undefined) throw new ApiError(400, 'Bad Request: inline messages are not supported by the stand-in');
    const chat = chatFor(params.chat_id);
    const message = findMessage(chat.id, Number(params.message_id));
    if (!message) throw new ApiError(400, 'Bad Request: message to edit not found');
    if (message.from?.id !== bot.id) throw new ApiError(400, "Bad Request: message can't be edited");
    return message;
  }

  function pushUpdate(kind: string, payload: unknown): WireUpdate {
    const update: WireUpdate = { update_id: nextUpdateId++, [kind]: payload };
    updates.push(update);
    return update;
  }

  const methods: Record<string, (p: Record<string, unknown>, files: Map<string, { name: string; content: string }>) => unknown> = {
    getMe: () => ({ ...bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false }),
    logOut: () => true,
    close: () => true,
    sendMessage(p) {
      const chat = chatFor(p.chat_id);
      const body = renderText(p.text, p.parse_mode, p.entities);
      const markup = checkMarkup(p.reply_markup);
      const replyTo = (p.reply_parameters as { message_id?: number } | undefined)?.message_id ?? (p.reply_to_message_id as number | undefined);
      const replied = replyTo === undefined ? undefined : findMessage(chat.id, Number(replyTo));
      if (replyTo !== undefined && !replied) throw new ApiError(400, 'Bad Request: message to be replied not found');
      const topic = p.message_thread_id === undefined ? undefined : Number(p.message_thread_id);
      if (topic !== undefined && chat.type !== 'supergroup') throw new ApiError(400, 'Bad Request: message thread not found');
      return store(chat.id, {
        from: bot,
        chat,
        date: now(),
        ...(topic !== undefined ? { message_thread_id: topic, is_topic_message: true } : {}),
        ...body,
        ...(markup ? { reply_markup: markup } : {}),
        ...(replied ? { reply_to_message: replied } : {}),
      });
    },
    editMessageText(p) {
      const message = ownMessage(p);
      const body = renderText(p.text, p.parse_mode, p.entities);
      const markup = checkMarkup(p.reply_markup);
      if (body.text === message.text && JSON.stringify(body.entities) === JSON.stringify(message.entities) && JSON.stringify(markup) === JSON.stringify(message.reply_markup)) {
        throw new ApiError(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      }
      message.text = body.text;
      if (body.entities) message.entities = body.entities;
      else delete message.entities;
      if (markup) message.reply_markup = markup;
      else delete message.reply_markup;
      message.edit_date = now();
      edits.push({ chatId: message.chat.id, messageId: message.message_id, text: body.text, markup });
      return message;
    },
    editMessageReplyMarkup(p) {
      const message = ownMessage(p);
      const markup = checkMarkup(p.reply_markup);
      if (JSON.stringify(markup) === JSON.stringify(message.reply_markup)) {
        throw new ApiError(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      }
      if (markup) message.reply_markup = markup;
      else delete message.reply_markup;
      message.edit_date = now();
      edits.push({ chatId: message.chat.id, messageId: message.message_id, markup });
      return message;
    },
    answerCallbackQuery(p) {
      const query = callbackQueries.get(String(p.callback_query_id));
      if (!query || query.answered) throw new ApiError(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
      if (typeof p.text === 'string' && p.text.length > 200) throw new ApiError(400, 'Bad Request: MESSAGE_TOO_LONG');
      query.answered = { ...(typeof p.text === 'string' ? { text: p.text } : {}), ...(p.show_alert === true ? { show_alert: true } : {}) };
      return true;
    },
    sendChatAction(p) {
      const chat = chatFor(p.chat_id);
      if (typeof p.action !== 'string' || !CHAT_ACTIONS.has(p.action)) throw new ApiError(400, 'Bad Request: wrong parameter action in request');
      chatActions.push({ chatId: chat.id, action: p.action });
      return true;
    },
    setMyCommands(p) {
      const list = p.commands;
      if (!Array.isArray(list) || list.length > 100) throw new ApiError(400, 'Bad Request: commands must be an array of at most 100 BotCommand');
      for (const c of list as Array<Record<string, unknown>>) {
        if (typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw new ApiError(400, 'Bad Request: BOT_COMMAND_INVALID');
        if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) throw new ApiError(400, 'Bad Request: BOT_COMMAND_DESCRIPTION_INVALID');
      }
      commands = list.map((c) => ({ command: (c as Record<string, unknown>).command, description: (c as Record<string, unknown>).description }));
      return true;
    },
    getMyCommands: () => commands,
    deleteMyCommands() {
      commands = [];
      return true;
    },
    setWebhook(p) {
      if (typeof p.url !== 'string' || p.url === '') {
        webhook = undefined;
        return true;
      }
      if (!/^https?:\/\//.test(p.url)) throw new ApiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
      const secret = p.secret_token;
      if (secret !== undefined && (typeof secret !== 'string' || !/^[A-Za-z0-9_-]{1,256}$/.test(secret))) {
        throw new ApiError(400, 'Bad Request: bad webhook: secret token contains unallowed characters');
      }
      if (p.drop_pending_updates === true || p.drop_pending_updates === 'true') updates.length = 0;
      webhook = { url: p.url, ...(typeof secret === 'string' ? { secretToken: secret } : {}), ...(Array.isArray(p.allowed_updates) ? { allowedUpdates: p.allowed_updates as string[] } : {}) };
      if (webhook.allowedUpdates) allowedUpdates = webhook.allowedUpdates;
      return true;
    },
    deleteWebhook(p) {
      webhook = undefined;
      if (p.drop_pending_updates === true || p.drop_pending_updates === 'true') updates.length = 0;
      return true;
    },
    getWebhookInfo: () => ({ url: webhook?.url ?? '', has_custom_certificate: false, pending_update_count: updates.length, ...(webhook?.allowedUpdates ? { allowed_updates: webhook.allowedUpdates } : {}) }),
    sendDocument(p, files) {
      const chat = chatFor(p.chat_id);
      const file = files.get('document');
      if (!file) throw new ApiError(400, 'Bad Request: there is no document in the request');
      const caption = p.caption === undefined ? undefined : renderText(p.caption, p.parse_mode, p.caption_entities, 'caption');
      if (caption && caption.text.length > 1024) throw new ApiError(400, 'Bad Request: message caption is too long');
      const stored = store(chat.id, {
        from: bot,
        chat,
        date: now(),
        document: { file_id: `doc-${chat.id}-${documents.length + 1}`, file_unique_id: `u${documents.length + 1}`, file_name: file.name, file_size: Buffer.byteLength(file.content) },
        ...(caption ? { caption: caption.text } : {}),
        ...(checkMarkup(p.reply_markup) ? { reply_markup: p.reply_markup as WireMessage['reply_markup'] } : {}),
      });
      documents.push({ chatId: chat.id, messageId: stored.message_id, fileName: file.name, content: file.content, ...(caption ? { caption: caption.text } : {}) });
      return stored;
    },
  };

  return {
    bot,
    chats,
    messages,
    updates,
    callbackQueries,
    chatActions,
    documents,
    edits,
    methods,
    commands: () => commands,
    webhook: () => webhook,
    allowedUpdates: () => allowedUpdates,
    setAllowedUpdates(list: string[] | undefined) {
      allowedUpdates = list;
    },
    rememberChat,
    store,
    findMessage,
    pushUpdate,
    newCallbackQuery(from: WireUser, message: WireMessage, data: string): CallbackQueryRecord {
      const record: CallbackQueryRecord = { id: `${bot.id}${String(nextCallbackId++).padStart(6, '0')}`, from, message, data };
      callbackQueries.set(record.id, record);
      return record;
    },
  };
}

export type TelegramState = ReturnType<typeof createTelegramState>;
