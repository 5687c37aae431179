/**
 * The QR payload as the originals hand it out. Our engine (Baileys 7) builds
 * WhatsApp Web's newer form, `https://wa.me/settings/linked_devices#` +
 * `ref,noiseKey,identityKey,advSecret,platform`. Every original a dialect
 * imitates returns the older bare form `2@…,noiseKey,identityKey,advSecret`:
 * whatsmeow (GOWA, go-whatsapp-multi-session, WAHA's GOWS), whatsapp-web.js
 * (WAHA's WEBJS), Baileys 6 and 7.0.0-rc.6 (WAHA's NOWEB, Evolution API),
 * the bridge's document (`{"qr": "2@..."}`), and Wawp (WAHA's shapes). The
 * phone links with either; clients that check for `2@` or split on `,` need
 * the bare one. The native API keeps the engine's form (README).
 */
const LINKED_DEVICES_PREFIX = 'https://wa.me/settings/linked_devices#';

/** `2@ref,noise,identity,adv`: the prefix and the platform field dropped; any other payload unchanged. */
export function originalQrPayload(payload: string): string {
  if (!payload.startsWith(LINKED_DEVICES_PREFIX)) return payload;
  return payload.slice(LINKED_DEVICES_PREFIX.length).split(',').slice(0, 4).join(',');
}
