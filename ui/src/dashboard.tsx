import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { credentialStore, gql } from './api';
import './dashboard.css';
import { PANELS, type PanelProps } from './panels';

interface Workspace {
  id: string;
  handle: string;
  name: string;
}
interface Me {
  user: { handle: string } | null;
  accounts: { id: string; name: string; workspaces: Workspace[] }[];
}

const ME = `{ me { user { handle } accounts { id name workspaces { id handle name } } } }`;
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { token } }`;
const ACCEPT = `mutation($code: String!) { acceptInvitation(input: { code: $code }) { id name } }`;

/** An invitation code from an emailed link (`/ui/#invitation=…`): kept out of server logs. */
function invitationFromLink(): string | null {
  const m = /[#&]invitation=([^&]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

function SignIn({
  reason,
  onCredential,
}: {
  reason: string | null;
  onCredential: (c: string) => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <main className="signin" data-testid="signin">
      <h1>Flowplane</h1>
      {reason && (
        <p className="notice" data-testid="signed-out-reason">
          {reason}
        </p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const res = await gql<{ signIn: { token: string } }>(
            SIGN_IN,
            { input: { email, password } },
            '',
          );
          if (res.data?.signIn) onCredential(res.data.signIn.token);
          else setError(res.errors?.[0]?.message ?? 'Sign-in failed');
        }}
      >
        <h2>Sign in</h2>
        <input
          aria-label="Email"
          placeholder="Email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <input
          aria-label="Password"
          type="password"
          placeholder="Password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit">Sign in</button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onCredential(key.trim());
        }}
      >
        <h2>…or paste an API key</h2>
        <input
          aria-label="API key"
          type="password"
          autoComplete="off"
          placeholder="fpu_… / fps_…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <button type="submit">Use key</button>
      </form>
      {error && <p className="error">{error}</p>}
    </main>
  );
}

function Dashboard() {
  const [credential, setCredential] = useState(credentialStore.get());
  const [reason, setReason] = useState<string | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [workspaceId, setWorkspaceId] = useState<string | null>(null);
  const [invitation, setInvitation] = useState(invitationFromLink());

  const signOut = useCallback((why: string) => {
    credentialStore.set('');
    setCredential('');
    setMe(null);
    setReason(why);
  }, []);

  useEffect(() => {
    if (!credential) return;
    let cancelled = false;
    void gql<{ me: Me }>(ME, {}, credential).then((res) => {
      if (cancelled) return;
      if (!res.data?.me || res.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED'))
        return signOut('That credential was not accepted. Sign in again.');
      setMe(res.data.me);
      const all = res.data.me.accounts.flatMap((a) => a.workspaces);
      setWorkspaceId((current) => current ?? all[0]?.id ?? null);
    });
    return () => {
      cancelled = true;
    };
  }, [credential, signOut]);

  if (!credential)
    return (
      <SignIn
        reason={reason}
        onCredential={(c) => {
          credentialStore.set(c);
          setReason(null);
          setCredential(c);
        }}
      />
    );
  if (!me) return <p>Loading…</p>;
  const workspaces = me.accounts.flatMap((a) =>
    a.workspaces.map((w) => ({ ...w, account: a.name })),
  );
  const props: PanelProps | null = workspaceId
    ? {
        credential,
        workspaceId,
        onRefused: () => signOut('Your access was revoked or has expired: you are signed out.'),
      }
    : null;
  return (
    <div className="app">
      <header>
        <strong>Flowplane</strong>
        <select
          aria-label="Workspace"
          value={workspaceId ?? ''}
          onChange={(e) => setWorkspaceId(e.target.value || null)}
        >
          {workspaces.length === 0 && <option value="">No workspace yet</option>}
          {workspaces.map((w) => (
            <option key={w.id} value={w.id}>
              {w.account} / {w.name}
            </option>
          ))}
        </select>
        <a href="/graphql">Explorer</a>
        <span className="who">{me.user?.handle ?? 'service account'}</span>
        <button onClick={() => signOut('Signed out.')}>Sign out</button>
      </header>
      {invitation && (
        <p className="notice">
          You have an invitation.{' '}
          <button
            onClick={async () => {
              const res = await gql<{ acceptInvitation: { id: string } }>(
                ACCEPT,
                { code: invitation },
                credential,
              );
              if (res.errors?.length) return setReason(res.errors[0]!.message);
              history.replaceState(null, '', location.pathname);
              setInvitation(null);
              setMe(null);
              setCredential(credentialStore.get());
              const again = await gql<{ me: Me }>(ME, {}, credential);
              if (again.data?.me) setMe(again.data.me);
            }}
          >
            Accept it
          </button>
        </p>
      )}
      {workspaces.length === 0 && (
        <p>
          No workspace yet: create one in the <a href="/graphql">explorer</a> with{' '}
          <code>createWorkspace</code>.
        </p>
      )}
      {props && (
        <div className="panels" key={workspaceId}>
          {PANELS.map(({ id, Component }) => (
            <Component key={id} {...props} />
          ))}
        </div>
      )}
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Dashboard />
  </StrictMode>,
);
