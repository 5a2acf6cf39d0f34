// The one list of channels the gateway can build from config. Adding a channel = a folder under
// channels/ exporting a ChannelDefinition + one line below. The gateway builds the channels
// whose `channels.<name>` section is present; it never imports an adapter any other way.
// Must never construct anything itself: definitions build adapters when the gateway asks.
import type { ChannelDefinition } from './channel.js';
import { discordChannel } from './discord/index.js';
import { telegramChannel } from './telegram/index.js';
import { slackChannel } from './slack/index.js';
import { matrixChannel } from './matrix/index.js';
import { webChannelDefinition } from './web/index.js';

// One line per channel.
export const CHANNEL_DEFINITIONS: readonly ChannelDefinition<unknown>[] = [
  webChannelDefinition,
  telegramChannel,
  slackChannel as ChannelDefinition<unknown>,
  discordChannel as ChannelDefinition<unknown>,
  matrixChannel,
];
