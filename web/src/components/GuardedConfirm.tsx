/**
 * Confirmation for a destructive action, naming what will be lost; when the
 * gateway answers OTP_REQUIRED it turns into the one-time-code step.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { GuardedAction } from '../api.js';
import { useMounted } from '../hooks.js';
import { Modal } from './Modal.js';
import { OtpForm, challengeOf, otpErrorText, type OtpChallenge } from './OtpForm.js';

export function GuardedConfirm(props: {
  title: string;
  action: GuardedAction;
  sessionId: string;
  confirmLabel: string;
  children: ComponentChildren;
  run: (otpCode?: string) => Promise<void>;
  onClose: () => void;
}) {
  const mounted = useMounted();
  const [challenge, setChallenge] = useState<OtpChallenge | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.run();
      props.onClose();
    } catch (err) {
      if (!mounted.current) return;
      const needed = challengeOf(err);
      if (needed) setChallenge(needed);
      else setError(otpErrorText(err));
    } finally {
      if (mounted.current) setBusy(false);
    }
  };

  return (
    <Modal title={props.title} onClose={props.onClose} tone="danger">
      {challenge ? (
        <OtpForm
          action={props.action}
          sessionId={props.sessionId}
          challenge={challenge}
          submitLabel={props.confirmLabel}
          danger
          onSubmit={async (code) => {
            await props.run(code);
            props.onClose();
          }}
          onCancel={props.onClose}
        />
      ) : (
        <>
          <div class="confirm-body">{props.children}</div>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="actions">
            <button type="button" class="danger" onClick={() => void confirm()} disabled={busy}>
              {busy ? 'Working…' : props.confirmLabel}
            </button>
            <button type="button" onClick={props.onClose} autoFocus>
              Cancel
            </button>
          </div>
        </>
      )}
    </Modal>
  );
}
