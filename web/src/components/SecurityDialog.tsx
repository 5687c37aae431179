/**
 * How logout, delete and QR reveal are protected, and enrolment of an
 * authenticator app (TOTP) when no owner number delivers codes.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type OtpStatus } from '../api.js';
import { spokenDuration } from '../format.js';
import { useMounted } from '../hooks.js';
import { Modal } from './Modal.js';

export function SecurityDialog(props: { onClose: () => void }) {
  const mounted = useMounted();
  const [status, setStatus] = useState<OtpStatus | null>(null);
  const [setup, setSetup] = useState<{ secret: string; uri: string; image: string } | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const fail = (err: unknown) => {
    if (!mounted.current) return;
    if (err instanceof ApiError && err.code === 'OTP_LOCKED' && err.retryAfterSeconds !== undefined) {
      setError(`Too many wrong codes. Try again in ${spokenDuration(err.retryAfterSeconds)}.`);
    } else setError(err instanceof Error ? err.message : 'That did not work.');
  };

  useEffect(() => {
    api.otpStatus().then((s) => mounted.current && setStatus(s), fail);
  }, []);

  const startSetup = async () => {
    setError(null);
    try {
      const result = await api.totpSetup();
      if (mounted.current) setSetup(result);
    } catch (err) {
      fail(err);
    }
  };

  const submitCode = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const next = status?.totpEnabled ? await api.totpDisable(code) : await api.totpEnable(code);
      if (!mounted.current) return;
      setStatus(next);
      setSetup(null);
      setCode('');
      setNotice(next.totpEnabled ? 'The authenticator app is enabled.' : 'The authenticator app is disabled.');
    } catch (err) {
      fail(err);
    }
  };

  const methodText =
    status?.method === 'whatsapp'
      ? `Logout, delete and showing a QR code need a code sent to the owner’s WhatsApp (${status.ownerNumber ?? ''}).`
      : status?.method === 'totp'
        ? 'Logout, delete and showing a QR code need a code from your authenticator app.'
        : status?.ownerNumber
          ? `Codes go to the owner’s WhatsApp (${status.ownerNumber}) once a session is connected; until then these actions are not protected.`
          : 'Logout, delete and showing a QR code are not protected by a one-time code.';

  return (
    <Modal title="Security" onClose={props.onClose}>
      {status === null && !error ? <p>Loading…</p> : null}
      {status && <p data-otp-method={status.method}>{methodText}</p>}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {status && !status.totpEnabled && !setup && (
        <div class="security-setup">
          <p>
            Use an authenticator app (for example one that reads otpauth:// QR codes) to protect these actions. The app’s secret is
            stored encrypted by the gateway and stays enabled across restarts.
          </p>
          <button type="button" class="primary" onClick={() => void startSetup()}>
            Set up an authenticator app
          </button>
        </div>
      )}
      {setup && (
        <div class="security-setup">
          <p>Scan this with your authenticator app. It is shown only once.</p>
          <img class="totp-qr" src={setup.image} width={200} height={200} alt="QR code with the authenticator secret" />
          <p>
            Or enter the key by hand: <code class="secret" data-totp-secret={setup.secret}>{setup.secret}</code>
          </p>
          <details>
            <summary>otpauth:// link</summary>
            <code class="uri">{setup.uri}</code>
          </details>
        </div>
      )}
      {status && (status.totpEnabled || setup) && (
        <form onSubmit={submitCode} class="otp-form">
          <label for="totp-code">{status.totpEnabled ? 'Code to disable the app' : 'Code shown in the app'}</label>
          <input
            id="totp-code"
            class="otp-input"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            value={code}
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
          <div class="actions">
            <button type="submit" class={status.totpEnabled ? 'danger' : 'primary'}>
              {status.totpEnabled ? 'Disable authenticator app' : 'Enable'}
            </button>
          </div>
        </form>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
