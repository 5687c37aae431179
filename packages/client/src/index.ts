/** @wagate/client: a typed client for wagate's native API, its event stream and its webhook signatures. */
export { createWagateClient, unwrap, WagateApiError, type Unwrapped, type WagateClient, type WagateClientOptions } from './client.js';
export { followEvents, EventStream, type FollowEventsOptions, type WagateEvent, type WagateSnapshot } from './events.js';
export {
  verifyStandardWebhook,
  verifyWadialWebhook,
  verifyWebhook,
  WebhookVerificationError,
  type VerifyOptions,
  type WebhookHeaders,
} from './webhooks.js';
export type { components, operations, paths } from './schema.js';
