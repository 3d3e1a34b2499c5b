import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useClient, useMutation, useQuery } from "urql";

import {
  API_KEY_FIELDS,
  SCOPE_LABELS,
  SCOPES,
  apiKeyState,
  checkApiKeyForm,
  type ApiKeyField,
  type ApiKeyState,
} from "../auth/apiKeys";
import { ErrorSummary, Notice } from "../components/Alert";
import { Field } from "../components/Field";
import { SecretBox } from "../components/SecretBox";
import { when } from "../components/TransactionList";
import { graphql } from "../gql";
import type { ApiKeyFieldsFragment, ApiKeyScope } from "../gql/graphql";
import { mapErrors, type FormErrors } from "../money/errors";

export const ApiKeyFields = graphql(`
  fragment ApiKeyFields on ApiKey {
    id
    name
    prefix
    scopes
    createdAt
    lastUsedAt
    expiresAt
    revokedAt
  }
`);

const ApiKeys = graphql(`
  query ApiKeys {
    apiKeys {
      ...ApiKeyFields
    }
  }
`);

export const CreateApiKey = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      apiKey {
        ...ApiKeyFields
      }
      key
      errors {
        code
        field
        message
      }
    }
  }
`);

const RevokeApiKey = graphql(`
  mutation RevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) {
      apiKey {
        id
        revokedAt
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const NETWORK_ERROR = "We could not reach the wallet. Check your connection and try again.";
const STATE_LABELS: Record<ApiKeyState, string> = { active: "Active", expired: "Expired", revoked: "Revoked" };
// The list is refetched after any mutation that returns an ApiKey, even while it is still empty.
const LIST_CONTEXT = { additionalTypenames: ["ApiKey"] };

interface NewKey {
  name: string;
  secret: string;
}

/**
 * The secret of a key just made, shown this once. It lives only in this page's state: leaving the page,
 * reloading or "Done" forgets it, and it is never in urql's cache or in storage.
 */
function NewKeyBox({ created, onDone }: { created: NewKey; onDone: () => void }) {
  return (
    <SecretBox
      title="Store your new key now"
      label="Your new API key"
      noun="key"
      secret={created.secret}
      testId="new-api-key"
      onDone={onDone}
    >
      <strong>This is the only time the key “{created.name}” is shown.</strong> The wallet keeps only a fingerprint
      of it and cannot show it again. Put it where your server keeps its secrets; if you lose it, revoke it and
      create another.
    </SecretBox>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (created: NewKey) => void }) {
  const id = useId();
  // client.mutation rather than useMutation: the secret in the answer is kept by no hook's state.
  const client = useClient();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>(["READ"]);
  const [expiresInDays, setExpiresInDays] = useState("");
  const [errors, setErrors] = useState<FormErrors<ApiKeyField>>({ fields: {}, form: [] });
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const scopesError = errors.fields.scopes;

  useEffect(() => {
    form.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [errors]);

  function toggle(scope: ApiKeyScope, on: boolean) {
    setScopes((previous) => (on ? [...previous, scope] : previous.filter((item) => item !== scope)));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const check = checkApiKeyForm({ name, scopes, expiresInDays });
    if (!check.ok) return setErrors({ fields: check.errors, form: [] });
    setErrors({ fields: {}, form: [] });
    setBusy(true);
    try {
      const result = await client.mutation(CreateApiKey, { input: check.input }).toPromise();
      const payload = result.data?.createApiKey;
      if (!payload) return setErrors({ fields: {}, form: [NETWORK_ERROR] });
      if (payload.errors.length > 0 || !payload.key || !payload.apiKey)
        return setErrors(mapErrors(payload.errors, API_KEY_FIELDS));
      setName("");
      setScopes(["READ"]);
      setExpiresInDays("");
      onCreated({ name: payload.apiKey.name, secret: payload.key });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={form} onSubmit={submit} noValidate className="card form" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New key</h2>
      <ErrorSummary messages={errors.form} />
      <Field
        label="Name"
        hint="So you can tell your keys apart, like “Shop server”"
        autoComplete="off"
        value={name}
        error={errors.fields.name}
        onChange={(event) => setName(event.target.value)}
      />
      <fieldset className="field scopes" aria-describedby={scopesError ? `${id}-scopes-error` : undefined}>
        <legend>What it may do</legend>
        {SCOPES.map((scope, index) => (
          <div key={scope} className="checkbox">
            <input
              type="checkbox"
              id={`${id}-${scope}`}
              checked={scopes.includes(scope)}
              aria-invalid={scopesError && index === 0 ? true : undefined}
              aria-describedby={[`${id}-${scope}-hint`, scopesError ? `${id}-scopes-error` : null]
                .filter(Boolean)
                .join(" ")}
              onChange={(event) => toggle(scope, event.target.checked)}
            />
            <label htmlFor={`${id}-${scope}`}>{SCOPE_LABELS[scope].label}</label>
            <span className="hint" id={`${id}-${scope}-hint`}>
              {SCOPE_LABELS[scope].description}
            </span>
          </div>
        ))}
        {scopesError && (
          <p className="field-error" id={`${id}-scopes-error`} role="alert">
            {scopesError}
          </p>
        )}
      </fieldset>
      <Field
        label="Expires in (days)"
        hint="Optional: 1 to 3650. Leave it empty for a key that works until you revoke it."
        inputMode="numeric"
        autoComplete="off"
        value={expiresInDays}
        error={errors.fields.expiresInDays}
        onChange={(event) => setExpiresInDays(event.target.value)}
      />
      <button type="submit" disabled={busy} aria-busy={busy}>
        {busy ? "Creating…" : "Create key"}
      </button>
    </form>
  );
}

function ApiKeyItem({ apiKey, onRevoked }: { apiKey: ApiKeyFieldsFragment; onRevoked: (name: string) => void }) {
  const id = useId();
  // Revoked here: shown at once, before the list is fetched again.
  const [revokedAt, setRevokedAt] = useState<string | null>(null);
  const shown = { ...apiKey, revokedAt: apiKey.revokedAt ?? revokedAt };
  const state = apiKeyState(shown);
  const [confirming, setConfirming] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [focus, setFocus] = useState<"question" | "revoke" | "heading" | null>(null);
  const [{ fetching }, revoke] = useMutation(RevokeApiKey);
  const item = useRef<HTMLLIElement>(null);

  // Focus follows the confirmation: to its question, back to "Revoke" on cancel, to the key once revoked.
  useEffect(() => {
    if (!focus) return;
    item.current?.querySelector<HTMLElement>(`[data-focus="${focus}"]`)?.focus();
    setFocus(null);
  }, [focus]);

  async function confirm() {
    const result = await revoke({ input: { id: apiKey.id } });
    const payload = result.data?.revokeApiKey;
    if (!payload) return setErrors([NETWORK_ERROR]);
    if (payload.errors.length > 0) return setErrors(mapErrors(payload.errors, []).form);
    setErrors([]);
    setRevokedAt(payload.apiKey?.revokedAt ?? new Date().toISOString());
    setConfirming(false);
    setFocus("heading");
    onRevoked(apiKey.name);
  }

  return (
    <li ref={item} className={`card api-key api-key-${state}`}>
      <div className="api-key-title">
        <h3 id={`${id}-name`} data-focus="heading" tabIndex={-1}>
          {apiKey.name}
        </h3>
        <span className={`badge badge-${state}`} data-testid="api-key-state">
          {STATE_LABELS[state]}
        </span>
      </div>
      <dl className="details">
        <dt>Key</dt>
        <dd className="mono">wk_{apiKey.prefix}_…</dd>
        <dt>May</dt>
        <dd>{apiKey.scopes.map((scope) => SCOPE_LABELS[scope].label).join(", ")}</dd>
        <dt>Created</dt>
        <dd>
          <time dateTime={apiKey.createdAt}>{when(apiKey.createdAt)}</time>
        </dd>
        <dt>Last used</dt>
        <dd data-testid="api-key-last-used">
          {apiKey.lastUsedAt ? <time dateTime={apiKey.lastUsedAt}>{when(apiKey.lastUsedAt)}</time> : "Never"}
        </dd>
        <dt>Expires</dt>
        <dd>{apiKey.expiresAt ? <time dateTime={apiKey.expiresAt}>{when(apiKey.expiresAt)}</time> : "Never"}</dd>
        {shown.revokedAt && (
          <>
            <dt>Revoked</dt>
            <dd>
              <time dateTime={shown.revokedAt}>{when(shown.revokedAt)}</time>
            </dd>
          </>
        )}
      </dl>
      <ErrorSummary messages={errors} />
      {state !== "revoked" && !confirming && (
        <button
          type="button"
          className="secondary"
          data-focus="revoke"
          onClick={() => {
            setConfirming(true);
            setFocus("question");
          }}
        >
          Revoke<span className="visually-hidden"> {apiKey.name}</span>
        </button>
      )}
      {state !== "revoked" && confirming && (
        <div className="confirm" role="group" aria-labelledby={`${id}-question`}>
          <p id={`${id}-question`} data-focus="question" tabIndex={-1}>
            <strong>Revoke “{apiKey.name}”?</strong> Whatever uses it stops working at once. This can't be undone.
          </p>
          <div className="buttons">
            <button type="button" className="danger" disabled={fetching} aria-busy={fetching} onClick={confirm}>
              Yes, revoke it
            </button>
            <button
              type="button"
              className="secondary"
              disabled={fetching}
              onClick={() => {
                setConfirming(false);
                setErrors([]);
                setFocus("revoke");
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
    </li>
  );
}

export function ApiKeysPage() {
  const [{ data, fetching, error }] = useQuery({
    query: ApiKeys,
    context: LIST_CONTEXT,
    requestPolicy: "cache-and-network",
  });
  const [created, setCreated] = useState<NewKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const keys = data?.apiKeys ?? [];
  const active = keys.filter((key) => apiKeyState(key) === "active").length;

  return (
    <section aria-labelledby="api-keys-title">
      <h1 id="api-keys-title">API keys</h1>
      <p className="muted">
        An API key lets one of your servers use the wallet's API as you, but only for what you allow it. The server
        sends it with each request, in the header <code>Authorization: ApiKey &lt;key&gt;</code>.
      </p>
      {created && (
        <NewKeyBox
          created={created}
          onDone={() => {
            setCreated(null);
            listHeading.current?.focus();
          }}
        />
      )}
      <CreateKeyForm
        onCreated={(next) => {
          setNotice(null);
          setCreated(next);
        }}
      />
      <h2 ref={listHeading} tabIndex={-1}>
        Your keys
      </h2>
      <Notice>{notice}</Notice>
      {!data ? (
        fetching ? (
          <p>Loading…</p>
        ) : (
          error && <p role="alert">Could not load your keys. Check your connection and reload.</p>
        )
      ) : keys.length === 0 ? (
        <p className="muted">No keys yet.</p>
      ) : (
        <>
          <p className="muted">{active === 1 ? "1 active key" : `${active} active keys`}, newest first.</p>
          <ul className="api-keys">
            {keys.map((key) => (
              <ApiKeyItem
                key={key.id}
                apiKey={key}
                onRevoked={(name) => setNotice(`Revoked “${name}”: it no longer works.`)}
              />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
