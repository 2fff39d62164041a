// The README's example, verbatim (readme-example.browser.test.ts checks it is and runs it).
import { openBrowserNode } from '@shoal/browser';
import { createInvite, generateSecret, type PortSource } from '@shoal/core';

const invite = createInvite({ networkId: 'home', secret: generateSecret() }); // share this token once

// Your transports: a WebSocket hub client, a WebRTC data channel, … (none: an offline replica).
const ports: PortSource[] = [];

const node = await openBrowserNode({ dbName: 'my-app', secret: invite, ports });
const settings = (await node.channel('home')).map('settings');
await settings.set('theme', 'dark'); // visible at once, in IndexedDB when resolved
await node.dispose();

// The next page load: the same node id and state come back from IndexedDB.
const again = await openBrowserNode({ dbName: 'my-app', secret: invite, ports });
console.log((await again.channel('home')).map('settings').get('theme')); // 'dark'
await again.dispose();
