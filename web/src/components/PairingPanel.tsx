/**
 * Link with a phone number (seed 004's UX): the number with its country code,
 * the 8-character code big and copyable with a live countdown and the steps
 * on the phone; "not ready yet" (422) is waited out, a rate limit (429) shows
 * how long to wait.
 */
import { useState } from 'preact/hooks';
import { ApiError, api, type PairingCodeInfo, type SessionView } from '../api.js';
import { clock, phone, spokenDuration } from '../format.js';
import { sleep, useMounted, useNow } from '../hooks.js';
import { Countdown } from './Countdown.js';
import { LINKING_OR_CONNECTING } from '../../../src/domain/sessionState.js';

const NOT_READY_RETRY_MS = 3000;
const NOT_READY_ATTEMPTS = 10;

/** Always `ABCD-1234`, whatever spacing the engine used. */
export function formatPairingCode(code: string): string {
  const plain = code.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  return plain.length === 8 ? `${plain.slice(0, 4)}-${plain.slice(4)}` : code;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API is missing on plain-HTTP origins other than localhost.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

export function PairingPanel(props: { session: SessionView }) {
  const { session } = props;
  const mounted = useMounted();
  const now = useNow(1000);
  const [number, setNumber] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [waiting, setWaiting] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState<PairingCodeInfo | null>(null);
  const [blockedUntil, setBlockedUntil] = useState(0);
  const [copied, setCopied] = useState('');
  const fieldId = `phone-${session.sessionId}`;

  // `now` ticks once a second and may be up to a second old when the block
  // starts; reading the clock here keeps the countdown from showing more
  // than the server's wait (10:01 for a 10-minute wait).
  const blockedFor = Math.max(0, Math.ceil((blockedUntil - Math.max(now, Date.now())) / 1000));

  const request = async (e: Event) => {
    e.preventDefault();
    setFieldError(null);
    setError(null);
    setCopied('');
    setBusy(true);
    try {
      const idle = !LINKING_OR_CONNECTING.includes(session.state);
      if (idle) await api.connect(session.sessionId);
      for (let attempt = 1; ; attempt++) {
        try {
          const info = await api.pairingCode(session.sessionId, number);
          if (!mounted.current) return;
          setWaiting(null);
          setCode(info);
          return;
        } catch (err) {
          if (err instanceof ApiError && err.code === 'SESSION_NOT_READY' && attempt < NOT_READY_ATTEMPTS) {
            if (!mounted.current) return;
            setWaiting('WhatsApp is still getting ready. Asking again in a few seconds…');
            await sleep(NOT_READY_RETRY_MS);
            if (!mounted.current) return;
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      if (!mounted.current) return;
      setWaiting(null);
      if (!(err instanceof ApiError)) {
        setError('Something went wrong. Try again.');
      } else if (err.code === 'INVALID_PHONE_NUMBER' || err.code === 'VALIDATION_FAILED') {
        setFieldError(err.message);
      } else if (err.code === 'PAIRING_RATE_LIMITED' || err.code === 'RATE_LIMITED') {
        const wait = err.retryAfterSeconds ?? 60;
        setBlockedUntil(Date.now() + wait * 1000);
        setError(
          err.code === 'PAIRING_RATE_LIMITED'
            ? `Too many pairing codes were asked for this number. WhatsApp blocks numbers that ask too often, so the gateway waits. You can ask again in ${spokenDuration(wait)}.`
            : `${err.message}. You can ask again in ${spokenDuration(wait)}.`,
        );
      } else if (err.code === 'SESSION_NOT_READY') {
        setError('WhatsApp did not get ready in time. Try again in a moment.');
      } else {
        setError(err.message);
      }
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  const copy = async () => {
    if (!code) return;
    const ok = await copyText(formatPairingCode(code.code).replace('-', ''));
    if (mounted.current) setCopied(ok ? 'Code copied to the clipboard.' : 'Copying failed; select the code and copy it.');
  };

  return (
    <div class="pairing-panel">
      <form class="phone-form" onSubmit={request} noValidate>
        <label for={fieldId}>Phone number of the WhatsApp account</label>
        <p id={`${fieldId}-hint`} class="hint">
          Country code and number, digits only, without “+” or a leading 00 — for example 15551234567 for a US number or
          447700900123 for a UK one.
        </p>
        <div class="inline">
          <input
            id={fieldId}
            name="phoneNumber"
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            value={number}
            aria-invalid={fieldError ? 'true' : undefined}
            aria-describedby={`${fieldId}-hint${fieldError ? ` ${fieldId}-error` : ''}`}
            onInput={(e) => setNumber((e.target as HTMLInputElement).value)}
            required
          />
          <button type="submit" class="primary" disabled={busy || blockedFor > 0}>
            {busy ? 'Requesting…' : code && Date.parse(code.expiresAt) <= now ? 'Get a new code' : 'Get pairing code'}
          </button>
        </div>
        {fieldError && (
          <p id={`${fieldId}-error`} class="error" role="alert">
            {fieldError.replace(/\.$/, "")}. Use the country code and number, digits only.
          </p>
        )}
      </form>
      {waiting && (
        <p class="waiting" role="status">
          <span class="spinner" aria-hidden="true" /> {waiting}
        </p>
      )}
      {error && (
        <p class="error" role="alert" data-code="error">
          {error}
          {blockedFor > 0 && (
            <span class="wait" aria-hidden="true">
              {' '}
              Time left: <span class="clock">{clock(blockedFor)}</span>
            </span>
          )}
        </p>
      )}
      {code && (
        <section class="pairing-result" aria-labelledby={`${fieldId}-code-title`}>
          <h4 id={`${fieldId}-code-title`}>Your pairing code for {phone(code.phoneNumber)}</h4>
          <div class="code-row">
            <output class="pairing-code" data-pairing-code={formatPairingCode(code.code)} aria-label={`Pairing code ${formatPairingCode(code.code).split('').join(' ')}`}>
              {formatPairingCode(code.code)}
            </output>
            <button type="button" class="copy" onClick={() => void copy()}>
              Copy
            </button>
          </div>
          <p class="sr-only" aria-live="polite">
            {copied}
          </p>
          {copied && <p class="hint" aria-hidden="true">{copied}</p>}
          <Countdown key={code.code} expiresAt={code.expiresAt} label="The code expires in" expiredText="This code has expired. Ask for a new one." />
          <ol class="steps">
            <li>Open WhatsApp on the phone with the number {phone(code.phoneNumber)}.</li>
            <li>
              Go to <strong>Settings</strong> → <strong>Linked devices</strong> → <strong>Link a device</strong>.
            </li>
            <li>
              Tap <strong>Link with phone number instead</strong>.
            </li>
            <li>Enter the code above. This page updates by itself when the phone is linked.</li>
          </ol>
        </section>
      )}
    </div>
  );
}
