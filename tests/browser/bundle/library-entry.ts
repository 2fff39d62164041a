// Everything the browser build offers: the whole public API of core, the IndexedDB store and
// @shoal/browser, so the bundle's size is an upper bound (nothing can be tree-shaken away).
export * from '@shoal/browser';
export * from '@shoal/core';
export * from '@shoal/storage-indexeddb';
