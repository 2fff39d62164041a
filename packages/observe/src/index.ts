/**
 * @shoal/observe: look at a Shoal node and the cluster it sees. {@link serveObservability}
 * serves Prometheus metrics, health and readiness probes and a live dashboard over HTTP.
 *
 * @packageDocumentation
 */
export type { AddressFormat, ChannelView, ClusterView, MemberView } from './cluster-view.js';
export type { FeedItem } from './event-feed.js';
export {
  isLoopback,
  type ObservabilityOptions,
  type ObservabilityServer,
  serveObservability,
} from './serve-observability.js';
