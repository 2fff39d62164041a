// What a small app ships: one node from openBrowserNode, a map and a stream (tree-shaken).
import { openBrowserNode } from '@shoal/browser';

const node = await openBrowserNode({ dbName: 'app', secret: new Uint8Array(32).fill(7) });
const channel = await node.channel('home');
await channel.map('settings').set('theme', 'dark');
await channel.stream('log').append(new TextEncoder().encode('hello'));
