/**
 * What `wagate pair` draws: the QR in the terminal (redrawn in place as it
 * rotates) or the pairing code with a countdown. When stdout is not a
 * terminal (a script, a log) each QR and code is printed once, plainly.
 */

const CLEAR_SCREEN = '\x1b[2J\x1b[H';
const CLEAR_LINE = '\r\x1b[K';

function formatSeconds(total: number): string {
  const s = Math.max(0, Math.ceil(total));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class PairDisplay {
  private countdown: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(
    private readonly sessionId: string,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.tty = out.isTTY === true;
  }

  async qr(payload: string, ttlMs: number): Promise<void> {
    // Loaded on first use: only QR linking draws.
    const { default: QRCode } = await import('qrcode');
    const art = await QRCode.toString(payload, { type: 'terminal', small: true });
    const lines = [
      `Scan this QR with WhatsApp on the phone: Settings → Linked devices → Link a device.`,
      art,
      `Session ${this.sessionId}: the QR changes every ${Math.round(ttlMs / 1000)} s; this view follows it. Ctrl-C stops.`,
    ];
    this.out.write(`${this.tty ? CLEAR_SCREEN : ''}${lines.join('\n')}\n`);
  }

  /** Shows the code and counts down to its expiry; `onExpired` runs when it reaches zero. */
  code(code: string, phoneNumber: string, ttlMs: number, onExpired: () => void): void {
    this.stopCountdown();
    const expiresAt = Date.now() + ttlMs;
    this.out.write(
      `On the phone +${phoneNumber}: WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead, and enter:\n\n` +
        `  Pairing code: ${code}\n\n`,
    );
    if (!this.tty) this.out.write(`The code is valid for ${formatSeconds(ttlMs / 1000)}.\n`);
    const tick = (): void => {
      const left = (expiresAt - Date.now()) / 1000;
      if (this.tty) this.out.write(`${CLEAR_LINE}  expires in ${formatSeconds(left)}`);
      if (left <= 0) {
        this.stopCountdown();
        onExpired();
      }
    };
    tick();
    this.countdown = setInterval(tick, 1000);
  }

  note(line: string): void {
    this.out.write(`${this.tty ? CLEAR_LINE : ''}${line}\n`);
  }

  stopCountdown(): void {
    if (this.countdown) clearInterval(this.countdown);
    this.countdown = undefined;
  }
}
