/**
 * Link by QR: the current QR, large, replaced as soon as it rotates (an
 * `auth.qr` event, or its expiry), with its remaining lifetime. The raw
 * payload sits in `data-qr` for tooling and tests.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type QrReveal, type SessionView } from '../api.js';
import { useLiveEvents, useMounted } from '../hooks.js';
import type { LiveEvents } from '../liveEvents.js';
import { qrExpired } from '../format.js';
import { Countdown } from './Countdown.js';
import { OtpForm, challengeOf, type OtpChallenge } from './OtpForm.js';
import { LINKING_OR_CONNECTING } from '../../../src/domain/sessionState.js';

export function QrPanel(props: { session: SessionView; live: LiveEvents; reveal: boolean; onStart: () => Promise<void> }) {
  const { session } = props;
  const mounted = useMounted();
  // Scroll the first QR into view when the user just asked for one: on a phone it appears below the fold.
  const revealNext = useRef(props.reveal);
  const figure = useRef<HTMLElement>(null);
  const [qr, setQr] = useState<QrReveal | null>(null);
  const [challenge, setChallenge] = useState<OtpChallenge | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);

  const load = async (otpCode?: string) => {
    try {
      const next = await api.qr(session.sessionId, otpCode);
      if (!mounted.current) return;
      setQr(next);
      setChallenge(null);
      setError(null);
    } catch (err) {
      if (!mounted.current) return;
      const needed = challengeOf(err);
      if (needed) {
        setChallenge(needed);
        return;
      }
      if (otpCode) throw err; // the code form shows it
      setQr(null);
      if (err instanceof ApiError && (err.code === 'SESSION_NOT_READY' || err.code === 'QR_NOT_FOUND' || err.code === 'ALREADY_PAIRED')) return;
      setError(err instanceof Error ? err.message : 'The QR code could not be loaded.');
    }
  };

  useEffect(() => {
    if (session.state === 'qr' && !challenge) void load();
    if (session.state !== 'qr') setQr(null);
  }, [session.sessionId, session.state]);

  useEffect(() => {
    if (!qr || !revealNext.current || !figure.current) return;
    revealNext.current = false;
    figure.current.scrollIntoView({ block: 'center', behavior: 'auto' });
  }, [qr]);

  useLiveEvents(props.live, (event) => {
    if (event.sessionId === session.sessionId && event.type === 'auth.qr' && !challenge) void load();
  });

  const start = async () => {
    revealNext.current = true;
    setStarting(true);
    setError(null);
    try {
      await props.onStart();
    } catch (err) {
      if (mounted.current) setError(err instanceof Error ? err.message : 'The session could not be started.');
    } finally {
      if (mounted.current) setStarting(false);
    }
  };

  if (challenge) {
    return (
      <div class="qr-panel">
        <OtpForm action="qr" sessionId={session.sessionId} challenge={challenge} submitLabel="Show QR code" onSubmit={load} />
      </div>
    );
  }

  const running = LINKING_OR_CONNECTING.includes(session.state);
  return (
    <div class="qr-panel">
      {qr ? (
        <>
          <figure ref={figure} class="qr" data-qr={qr.qr} data-expires-at={qr.expiresAt}>
            <img
              src={qr.image}
              width={320}
              height={320}
              alt="QR code for linking WhatsApp. Scan it from WhatsApp: Settings, Linked devices, Link a device."
            />
          </figure>
          <Countdown
            key={qr.qr}
            expiresAt={qr.expiresAt}
            label="This QR code refreshes in"
            expiredText="Getting a fresh QR code…"
            onExpired={() => void load()}
          />
          <ol class="steps">
            <li>Open WhatsApp on your phone.</li>
            <li>
              Go to <strong>Settings</strong> → <strong>Linked devices</strong> → <strong>Link a device</strong>.
            </li>
            <li>Point the camera at this code.</li>
          </ol>
        </>
      ) : running ? (
        <p class="waiting" role="status">
          <span class="spinner" aria-hidden="true" /> Waiting for WhatsApp to issue a QR code…
        </p>
      ) : (
        <div class="start" data-qr-expired={qrExpired(session) ? 'true' : undefined}>
          {qrExpired(session) ? (
            <p>
              <strong>Not linked: QR expired.</strong> Nobody scanned the QR codes in time, so the gateway stopped asking WhatsApp for new
              ones. Start again when the phone is at hand.
            </p>
          ) : (
            <p>Start the session to get a QR code.</p>
          )}
          <button type="button" class="primary" onClick={() => void start()} disabled={starting}>
            {starting ? 'Starting…' : qrExpired(session) ? 'Start linking again' : 'Start linking'}
          </button>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
