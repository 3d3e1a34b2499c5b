import { useRef, useState, type FormEvent, type MouseEvent } from "react";
import { useClient, useQuery } from "urql";

import { ErrorSummary } from "../components/Alert";
import { Field, useFocusFirstInvalid } from "../components/Field";
import { Segmented } from "../components/Segmented";
import { graphql } from "../gql";
import { formatDay } from "../history/days";
import { PERIOD_LABELS, periodFor, type Period, type PeriodChoice } from "../history/period";
import { formatMoney } from "../money/amount";
import { badUserInput } from "../money/errors";

const Statement = graphql(`
  query Statement($from: DateTime!, $to: DateTime!) {
    statement(from: $from, to: $to) {
      from
      to
      currency
      openingBalance
      closingBalance
      totalIn
      totalOut
      count
      csvUrl
      pdfUrl
    }
  }
`);

const CHOICES = Object.keys(PERIOD_LABELS) as PeriodChoice[];
type Format = "csvUrl" | "pdfUrl";

export function StatementSummary({ period }: { period: Period }) {
  const client = useClient();
  const variables = { from: period.from, to: period.to };
  const [{ data, error, fetching }] = useQuery({ query: Statement, variables, requestPolicy: "network-only" });
  const [preparing, setPreparing] = useState<Format | null>(null);
  const [downloadError, setDownloadError] = useState<string[]>([]);

  // The links are signed and expire within minutes: each click asks for fresh ones and follows that, so a
  // page left open for an hour still downloads. (The href is there for the browser's own link menu.)
  async function download(event: MouseEvent<HTMLAnchorElement>, format: Format) {
    event.preventDefault();
    if (preparing) return;
    setPreparing(format);
    setDownloadError([]);
    const fresh = await client.query(Statement, variables, { requestPolicy: "network-only" }).toPromise();
    setPreparing(null);
    const url = fresh.data?.statement[format];
    if (!url) {
      setDownloadError([badUserInput(fresh.error) ?? "Could not prepare the download. Try again."]);
      return;
    }
    const link = document.createElement("a");
    link.href = url;
    link.download = "";
    document.body.append(link);
    link.click();
    link.remove();
  }

  const range = `${formatDay(period.firstDay)} – ${formatDay(period.lastDay)}`;
  if (!data) {
    if (fetching) return <p>Loading…</p>;
    const refused = badUserInput(error);
    return (
      <ErrorSummary messages={[refused ?? "Could not load the statement. Check your connection and try again."]} />
    );
  }
  const { statement } = data;
  const figures = [
    ["Opening balance", statement.openingBalance, "opening"],
    ["Money in", statement.totalIn, "in"],
    ["Money out", statement.totalOut, "out"],
    ["Closing balance", statement.closingBalance, "closing"],
  ] as const;
  return (
    <section className="card statement" aria-labelledby="statement-title" aria-busy={fetching}>
      <h2 id="statement-title">{range}</h2>
      <dl className="details statement-figures">
        {figures.map(([label, amount, testId]) => (
          <div key={testId}>
            <dt>{label}</dt>
            <dd className="num" data-testid={`statement-${testId}`}>
              {formatMoney(amount, statement.currency)}
            </dd>
          </div>
        ))}
        <div>
          <dt>Entries</dt>
          <dd className="num" data-testid="statement-count">
            {statement.count}
          </dd>
        </div>
      </dl>
      <ErrorSummary messages={downloadError} />
      <p className="buttons downloads">
        {(
          [
            ["csvUrl", "CSV", "Download CSV"],
            ["pdfUrl", "PDF", "Download PDF"],
          ] as const
        ).map(([format, name, label]) => (
          <a
            key={format}
            className="button secondary"
            href={statement[format]}
            download
            aria-busy={preparing === format}
            onClick={(event) => download(event, format)}
          >
            {preparing === format ? `Preparing the ${name}…` : label}
          </a>
        ))}
      </p>
      <p className="muted">Each download asks for a new link: the links are signed and expire after a few minutes.</p>
    </section>
  );
}

export function StatementsPage() {
  const [choice, setChoice] = useState<PeriodChoice>("this-month");
  const [period, setPeriod] = useState<Period>(() => {
    const initial = periodFor("this-month", new Date());
    if (!initial.ok) throw new Error("this month is always a period");
    return initial.period;
  });
  const [custom, setCustom] = useState({ from: "", to: "" });
  const [errors, setErrors] = useState<Partial<Record<"from" | "to", string>>>({});
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, errors);

  function choose(next: PeriodChoice) {
    setChoice(next);
    setErrors({});
    if (next === "custom") {
      if (!custom.from && !custom.to) setCustom({ from: period.firstDay, to: period.lastDay });
      return;
    }
    const check = periodFor(next, new Date());
    if (check.ok) setPeriod(check.period);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const check = periodFor("custom", new Date(), custom);
    setErrors(check.ok ? {} : check.errors);
    if (check.ok) setPeriod(check.period);
  }

  return (
    <section aria-labelledby="statements-title">
      <h1 id="statements-title">Statements</h1>
      <form ref={form} className="card statement-period" onSubmit={submit} noValidate aria-label="Statement period">
        <Segmented
          legend="Period"
          options={CHOICES.map((value) => ({ value, label: PERIOD_LABELS[value] }))}
          value={choice}
          onChange={choose}
        />
        {choice === "custom" && (
          <div className="custom-period">
            <Field
              label="First day"
              type="date"
              value={custom.from}
              error={errors.from}
              onChange={(event) => setCustom({ ...custom, from: event.target.value })}
            />
            <Field
              label="Last day"
              type="date"
              value={custom.to}
              error={errors.to}
              onChange={(event) => setCustom({ ...custom, to: event.target.value })}
            />
            <button type="submit">Show statement</button>
          </div>
        )}
      </form>
      <StatementSummary key={`${period.from}/${period.to}`} period={period} />
    </section>
  );
}
