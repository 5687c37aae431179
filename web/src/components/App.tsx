/** Signed in or not: the page asks /api/me once, then shows the sign-in form or the dashboard. */
import { useEffect, useState } from 'preact/hooks';
import { api, setCsrfToken } from '../api.js';
import { Dashboard } from './Dashboard.js';
import { SignIn } from './SignIn.js';

type Phase = { kind: 'loading' } | { kind: 'signed-out'; notice?: string } | { kind: 'signed-in'; sandbox: boolean };

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });

  const loadMe = () =>
    api.me().then(
      (me) => {
        setCsrfToken(me.csrfToken);
        setPhase({ kind: 'signed-in', sandbox: me.sandbox });
      },
      () => setPhase({ kind: 'signed-out' }),
    );

  useEffect(() => {
    void loadMe();
  }, []);

  if (phase.kind === 'loading') return <p class="boot">Loading the dashboard…</p>;
  if (phase.kind === 'signed-out') {
    return (
      <SignIn
        notice={phase.notice}
        onSignedIn={(token) => {
          setCsrfToken(token);
          void loadMe();
        }}
      />
    );
  }
  return <Dashboard sandbox={phase.sandbox} onSignedOut={(notice) => setPhase({ kind: 'signed-out', notice })} />;
}
