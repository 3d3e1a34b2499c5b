import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { useMutation } from "urql";

import { startSession } from "../auth/session";
import { ErrorSummary } from "../components/Alert";
import { Field } from "../components/Field";
import { graphql } from "../gql";
import { mapErrors, type FormErrors } from "../money/errors";

const LogIn = graphql(`
  mutation LogIn($username: String!, $password: String!) {
    tokenAuth(username: $username, password: $password) {
      token
      refreshToken
      errors {
        code
        field
        message
      }
    }
  }
`);

const SignUp = graphql(`
  mutation SignUp($input: RegisterInput!) {
    register(input: $input) {
      token
      refreshToken
      errors {
        code
        field
        message
      }
    }
  }
`);

const NETWORK_ERROR = "We could not reach the wallet. Check your connection and try again.";

function useReturnPath(): string {
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return from && from.startsWith("/") && !from.startsWith("/login") ? from : "/";
}

export function LoginPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors<"username" | "password">>({ fields: {}, form: [] });
  const [{ fetching }, logIn] = useMutation(LogIn);
  const navigate = useNavigate();
  const returnPath = useReturnPath();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await logIn({ username: username.trim(), password });
    const payload = result.data?.tokenAuth;
    if (!payload) return setErrors({ fields: {}, form: [NETWORK_ERROR] });
    if (payload.token && payload.refreshToken && payload.errors.length === 0) {
      startSession(payload.token, payload.refreshToken);
      navigate(returnPath, { replace: true });
      return;
    }
    setErrors(mapErrors(payload.errors, ["username", "password"] as const));
  }

  return (
    <main id="main" className="auth">
      <h1>Log in to your wallet</h1>
      <form onSubmit={submit} noValidate className="card form">
        <ErrorSummary messages={errors.form} />
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={username}
          error={errors.fields.username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          error={errors.fields.password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <button type="submit" disabled={fetching}>
          Log in
        </button>
      </form>
      <p>
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </main>
  );
}

export function SignupPage() {
  const [values, setValues] = useState({ username: "", password: "", mobileNumber: "" });
  const [errors, setErrors] = useState<FormErrors<"username" | "password" | "mobileNumber">>({
    fields: {},
    form: [],
  });
  const [{ fetching }, signUp] = useMutation(SignUp);
  const navigate = useNavigate();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const mobileNumber = values.mobileNumber.trim();
    const result = await signUp({
      input: { username: values.username.trim(), password: values.password, mobileNumber: mobileNumber || null },
    });
    const payload = result.data?.register;
    if (!payload) return setErrors({ fields: {}, form: [NETWORK_ERROR] });
    if (payload.token && payload.refreshToken && payload.errors.length === 0) {
      startSession(payload.token, payload.refreshToken);
      navigate("/", { replace: true });
      return;
    }
    setErrors(mapErrors(payload.errors, ["username", "password", "mobileNumber"] as const));
  }

  const set = (name: keyof typeof values) => (event: React.ChangeEvent<HTMLInputElement>) =>
    setValues((previous) => ({ ...previous, [name]: event.target.value }));

  return (
    <main id="main" className="auth">
      <h1>Create your wallet</h1>
      <form onSubmit={submit} noValidate className="card form">
        <ErrorSummary messages={errors.form} />
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={values.username}
          error={errors.fields.username}
          onChange={set("username")}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters, not only digits, not a common password"
          required
          value={values.password}
          error={errors.fields.password}
          onChange={set("password")}
        />
        <Field
          label="Mobile number (optional)"
          name="mobileNumber"
          type="tel"
          autoComplete="tel"
          hint="So people can pay you by number; with its country code, like +14155550123"
          value={values.mobileNumber}
          error={errors.fields.mobileNumber}
          onChange={set("mobileNumber")}
        />
        <button type="submit" disabled={fetching}>
          Create account
        </button>
      </form>
      <p>
        Already have one? <Link to="/login">Log in</Link>
      </p>
    </main>
  );
}
