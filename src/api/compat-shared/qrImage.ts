/** QR payload → PNG / data URL, for dialects whose originals hand out images. */
import QRCode from 'qrcode';

const PNG_OPTIONS = { type: 'png', errorCorrectionLevel: 'L', margin: 2, scale: 6 } as const;

export function qrPng(payload: string): Promise<Buffer> {
  return QRCode.toBuffer(payload, PNG_OPTIONS);
}

export async function qrDataUrl(payload: string): Promise<string> {
  return `data:image/png;base64,${(await qrPng(payload)).toString('base64')}`;
}
