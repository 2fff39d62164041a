// The README's example, verbatim (readme-example.browser.test.ts checks it is and runs it).
import { IndexedDbStore } from '@shoal/storage-indexeddb';

const store = await IndexedDbStore.open('my-app-shoal'); // the IndexedDB database, created if missing
await store.put(new TextEncoder().encode('greeting'), new TextEncoder().encode('hello'));
await store.batch([
  { type: 'put', key: Uint8Array.of(1, 2), value: Uint8Array.of(42) },
  { type: 'delete', key: new TextEncoder().encode('greeting') },
]);
for await (const [key, value] of store.scan(Uint8Array.of(1))) console.log(key, value);
await store.close();
await IndexedDbStore.destroy('my-app-shoal'); // deletes the database
