/**
 * @shoal/browser: Shoal in a browser tab or worker in one call. {@link openBrowserNode} wires
 * IndexedDB storage, the page's clock and the transports you pass into a started `Coordinator`.
 */
export { browserTimers } from './browser-timers.js';
export { type OpenBrowserNodeOptions, openBrowserNode } from './open-browser-node.js';
