/**
 * The small IQs every logged-in client sends: ping, passive/active, AB props,
 * blocklist, privacy settings. Fixed, well-formed answers.
 */
import { node } from '../binary/nodes.js';
import type { StanzaRouter } from '../router/stanzaRouter.js';

const PRIVACY_DEFAULTS: Array<[string, string]> = [
  ['last', 'all'],
  ['online', 'all'],
  ['profile', 'all'],
  ['status', 'all'],
  ['readreceipts', 'all'],
  ['groupadd', 'all'],
  ['calladd', 'all'],
];

export function registerSessionHandlers(router: StanzaRouter): void {
  router.iq('w:p', null, () => undefined);
  router.iq('passive', null, () => undefined);
  router.iq('abt', 'props', () => [node('props', { protocol: '1', hash: 'sandbox-props-1' })]);
  router.iq('w', 'props', () => [node('props', { protocol: '2', hash: 'sandbox-props-1' })]);
  router.iq('blocklist', null, () => [node('list', {})]);
  router.iq('privacy', 'privacy', () => [
    node('privacy', {}, PRIVACY_DEFAULTS.map(([name, value]) => node('category', { name, value }))),
  ]);
}
