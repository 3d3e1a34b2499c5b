import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";

import { PASSWORD, uniqueName } from "./support";

// GraphiQL at /graphql/ must work on a machine that reaches nothing but this service: its files come from the
// build (frontend-sample/src/graphiql/), never from a CDN. Every request to another host is aborted and recorded.
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

async function register(request: APIRequestContext): Promise<{ username: string; token: string }> {
  const username = uniqueName("graphiql");
  const response = await request.post("/graphql/", {
    data: {
      query: "mutation ($input: RegisterInput!) { register(input: $input) { token errors { code } } }",
      variables: { input: { username, password: PASSWORD } },
    },
  });
  const { data } = await response.json();
  expect(data.register.errors).toEqual([]);
  return { username, token: data.register.token };
}

/** Replaces the text of one of GraphiQL's (Monaco) editors, as pasting would: no auto-closed brackets. */
async function replaceText(page: Page, editor: Locator, text: string): Promise<void> {
  await editor.locator(".view-lines").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(text);
}

test("GraphiQL renders and runs queries and subscriptions with every other host unreachable", async ({
  browser,
  request,
}) => {
  const { username, token } = await register(request);
  const context = await browser.newContext();
  const external: string[] = [];
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (LOCAL_HOSTS.has(new URL(url).hostname)) return route.continue();
    external.push(url);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const failed: string[] = [];
  page.on("requestfailed", (failure) => failed.push(`${failure.url()} ${failure.failure()?.errorText}`));

  await page.goto(`/graphql/?q=${encodeURIComponent("query Me { me { username } }")}`);
  expect(external, "requests to other hosts (a CDN?)").toEqual([]);
  const queryEditor = page.locator(".graphiql-query-editor");
  await expect(queryEditor.locator(".monaco-editor")).toBeVisible();
  await expect(queryEditor).toContainText("query Me");
  await expect(page.locator(".graphiql-tab-active")).toHaveText("Me");
  await expect(page.getByRole("button", { name: "Show GraphiQL Explorer" })).toBeVisible();

  // A query, authenticated by the Headers tab.
  await page.getByRole("button", { name: "Headers", exact: true }).click();
  const headersEditor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden)");
  await replaceText(page, headersEditor, JSON.stringify({ Authorization: `Bearer ${token}` }));
  await page.getByRole("button", { name: /^Execute query/ }).click();
  const response = page.locator(".graphiql-response");
  await expect(response).toContainText(new RegExp(`"username":\\s*"${username}"`));

  // A subscription over graphql-ws at the same URL, authenticated by the same header: an event arrives live.
  await replaceText(page, queryEditor, "subscription Events { walletEvents { type amount } }");
  // GraphiQL parses the operation a moment after the edit; its tab then takes the operation's name.
  await expect(page.locator(".graphiql-tab-active")).toHaveText("Events");
  await page.getByRole("button", { name: /^Execute query/ }).click();
  await expect(page.getByRole("button", { name: /^Stop/ })).toBeVisible();
  await expect(async () => {
    const added = await request.post("/graphql/", {
      headers: { Authorization: `Bearer ${token}` },
      data: {
        query: `mutation { addMoney(input: {amount: "25.00", idempotencyKey: "${uniqueName("k")}"}) { replayed } }`,
      },
    });
    expect(added.ok()).toBe(true);
    await expect(response).toContainText(/"amount":\s*"25\.00"/, { timeout: 3_000 });
  }).toPass({ timeout: 20_000 });
  await expect(response).toContainText(/"type":\s*"transaction\.succeeded"/);

  expect(external, "requests to other hosts (a CDN?)").toEqual([]);
  expect(failed, "failed requests").toEqual([]);
  await context.close();
});

test("GraphiQL's page says how to build it when its files are missing", async ({ browser }) => {
  const context = await browser.newContext();
  await context.route("**/graphiql/graphiql.js", (route) => route.fulfill({ status: 404, body: "Not Found" }));
  const page = await context.newPage();

  await page.goto("/graphql/");

  await expect(page.getByRole("heading", { name: "GraphiQL is not built" })).toBeVisible();
  await expect(page.getByText("scripts/frontend build")).toBeVisible();
  await expect(page.getByText("Loading GraphiQL")).toHaveCount(0);
  await context.close();
});
