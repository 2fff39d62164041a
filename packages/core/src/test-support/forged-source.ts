import type { NodeId } from '../ids/node-id.js';
import type { MessageHandler, MessagePort } from '../ports/message-port.js';

/**
 * Hooks `port` (before a node subscribes to it) and returns a way to deliver bytes to that node
 * as if they came from any id: what a forged UDP source or a lying relay does.
 */
export function forgedSource(port: MessagePort): (from: string, bytes: Uint8Array) => void {
  const handlers: MessageHandler[] = [];
  const subscribe = port.onMessage.bind(port);
  port.onMessage = (handler) => {
    handlers.push(handler);
    return subscribe(handler);
  };
  return (from, bytes) => {
    for (const handler of handlers) handler(from as NodeId, bytes);
  };
}
