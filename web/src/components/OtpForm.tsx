/**
 * Asks for the 6-digit one-time code that guards logout, delete and QR
 * reveal: sent to the owner's WhatsApp chat, or read from an authenticator app.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type GuardedAction, type OtpMethod } from '../api.js';
import { spokenDuration } from '../format.js';
import { useMounted } from '../hooks.js';

const PROTECTED: Record<GuardedAction, string> = {
  logout: 'Logging out is protected.',
  delete: 'Deleting a session is protected.',
  qr: 'Showing the QR code is protected.',
};

export interface OtpChallenge {
  method: OtpMethod;
  sentTo?: string;
}

export function challengeOf(error: unknown): OtpChallenge | undefined {
  if (!(error instanceof ApiError) || error.code !== 'OTP_REQUIRED') return undefined;
  const method = error.details.method === 'totp' ? 'totp' : 'whatsapp';
  const sentTo = typeof error.details.sentTo === 'string' ? error.details.sentTo : undefined;
  return { method, sentTo };
}

export function otpErrorText(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
  if (error.code === 'OTP_LOCKED' && error.retryAfterSeconds !== undefined) {
    return `Too many wrong codes. Try again in ${spokenDuration(error.retryAfterSeconds)}.`;
  }
  return error.message.endsWith('.') ? error.message : `${error.message}.`;
}

export function OtpForm(props: {
  action: GuardedAction;
  sessionId: string;
  challenge: OtpChallenge;
  submitLabel: string;
  /** The submit button carries out a destructive action. */
  danger?: boolean;
  onSubmit: (code: string) => Promise<void>;
  onCancel?: () => void;
}) {
  const mounted = useMounted();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = `otp-${props.action}-${props.sessionId}`;
  const viaWhatsApp = props.challenge.method === 'whatsapp';

  const send = async () => {
    setError(null);
    try {
      const sent = await api.sendOtp(props.action, props.sessionId);
      if (mounted.current) setNotice(`We sent a 6-digit code to the owner's WhatsApp chat (${sent.sentTo}). It is valid for 5 minutes.`);
    } catch (err) {
      if (mounted.current) setError(otpErrorText(err));
    }
  };

  // The owner chat gets a code as soon as one is needed; resending is a button.
  useEffect(() => {
    if (viaWhatsApp) void send();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const digits = code.replace(/\D/g, '');
    if (digits.length !== 6) {
      setError('Enter all 6 digits of the code.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit(digits);
    } catch (err) {
      if (mounted.current) setError(otpErrorText(err));
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  return (
    <form class="otp-form" onSubmit={submit} data-otp-method={props.challenge.method}>
      <p class="otp-intro">
        {PROTECTED[props.action]}{' '}
        {viaWhatsApp
          ? 'Enter the one-time code the gateway sends to the owner’s WhatsApp.'
          : 'Enter the 6-digit code from your authenticator app.'}
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <label for={inputId}>One-time code</label>
      <input
        id={inputId}
        name="otp"
        class="otp-input"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={7}
        pattern="[0-9 ]*"
        value={code}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${inputId}-error` : undefined}
        onInput={(e) => setCode((e.target as HTMLInputElement).value)}
        autoFocus
      />
      {error && (
        <p id={`${inputId}-error`} class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={busy}>
          {busy ? 'Checking…' : props.submitLabel}
        </button>
        {viaWhatsApp && (
          <button type="button" onClick={() => void send()}>
            Send a new code
          </button>
        )}
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
