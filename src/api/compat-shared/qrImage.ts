/** QR payload → PNG / data URL, for dialects whose originals hand out images (of the originals' bare payload). */
import QRCode from 'qrcode';
import { originalQrPayload } from './qrPayload.js';

const PNG_OPTIONS = { type: 'png', errorCorrectionLevel: 'L', margin: 2, scale: 6 } as const;

export function qrPng(payload: string): Promise<Buffer> {
  return QRCode.toBuffer(originalQrPayload(payload), PNG_OPTIONS);
}

export async function qrDataUrl(payload: string): Promise<string> {
  return `data:image/png;base64,${(await qrPng(payload)).toString('base64')}`;
}
