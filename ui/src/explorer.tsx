import { GraphiQL } from 'graphiql';
import type { Fetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';
import { getOperationAST, parse } from 'graphql';
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { authorization, credentialStore, GRAPHQL_PATH, liveClient } from './api';

function isSubscription(query: string, operationName?: string | null): boolean {
  try {
    return getOperationAST(parse(query), operationName)?.operation === 'subscription';
  } catch {
    return false;
  }
}

/**
 * The explorer: GraphiQL against this server, queries and mutations over HTTP, subscriptions
 * over graphql-ws. The credential pasted in the bar (or an Authorization header typed in
 * GraphiQL's headers editor, which wins) goes with every operation.
 */
function Explorer() {
  const [credential, setCredential] = useState(credentialStore.get());
  const [draft, setDraft] = useState(credential);
  const fetcher = useMemo<Fetcher>(() => {
    const ws = liveClient(credential, () => undefined);
    return (params, opts) => {
      const headers = { ...authorization(credential), ...(opts?.headers ?? {}) } as Record<
        string,
        string
      >;
      if (isSubscription(params.query, params.operationName))
        return ws.iterate({ ...params, variables: params.variables ?? {} }) as AsyncIterable<any>;
      return fetch(GRAPHQL_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(params),
      }).then((r) => r.json());
    };
  }, [credential]);
  const apply = () => {
    credentialStore.set(draft.trim());
    setCredential(draft.trim());
  };
  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100vh' }}>
      <form
        style={{
          display: 'flex',
          gap: 8,
          padding: '6px 12px',
          alignItems: 'center',
          font: '13px system-ui',
        }}
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <strong>Flowplane</strong>
        <label htmlFor="credential">API key or session token</label>
        <input
          id="credential"
          type="password"
          autoComplete="off"
          placeholder="fpu_… / fps_… / fpsess_…"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          style={{ flex: 1, maxWidth: 420 }}
        />
        <button type="submit">Use</button>
        <span aria-live="polite">{credential ? 'authenticated requests' : 'anonymous'}</span>
        <a href="/ui" style={{ marginLeft: 'auto' }}>
          Dashboard
        </a>
      </form>
      <div style={{ flex: 1, minHeight: 0 }}>
        <GraphiQL fetcher={fetcher} isHeadersEditorEnabled shouldPersistHeaders={false} />
      </div>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
