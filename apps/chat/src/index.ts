/**
 * @shoal/chat: chat on Shoal. Rooms, nicknames and presence over any node
 * ({@link ChatService}), room housekeeping by the leading hub ({@link runHousekeeping}), the
 * full-screen terminal client ({@link runTerminalChat}, `shoal chat`) and the web client a hub
 * serves ({@link chatWebRoutes}, `shoal agent --chat`).
 *
 * @packageDocumentation
 */

export { type CommandResult, HELP, runCommand } from './chat-commands.js';
export {
  type ChatMessage,
  checkNick,
  checkRoom,
  decodeMessage,
  encodeMessage,
  MAX_NICK_LENGTH,
  MAX_ROOM_LENGTH,
  MAX_TEXT_LENGTH,
} from './chat-message.js';
export {
  CHAT_CHANNEL,
  type ChatLine,
  ChatService,
  type ChatServiceOptions,
  DEFAULT_ROOM,
  type HubInfo,
  type RoomInfo,
  type RoomRecord,
} from './chat-service.js';
export { type Housekeeping, type HousekeepingOptions, runHousekeeping, topicOfDay } from './housekeeping.js';
export { HubLink } from './hub-link.js';
export { type OpenChatNodeOptions, openChatNode } from './open-chat-node.js';
export {
  GONE_AFTER_MS,
  HEARTBEAT_MS,
  type Person,
  type PresenceRecord,
  type PresenceState,
} from './presence.js';
export { layoutScreen, type Row, type ScreenModel } from './terminal/screen-layout.js';
export { runTerminalChat } from './terminal/terminal-chat.js';
export { type ChatWebOptions, chatWebRoutes } from './web/chat-web-routes.js';
