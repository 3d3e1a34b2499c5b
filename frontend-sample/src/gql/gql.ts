/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) {\n      token\n      refreshToken\n      errors {\n        code\n        message\n      }\n    }\n  }\n": typeof types.RefreshSessionDocument,
    "\n  query Viewer {\n    me {\n      id\n      username\n      mobileNumber\n    }\n    wallet {\n      id\n      currency\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation LogOut($refreshToken: String!) {\n    revokeToken(refreshToken: $refreshToken) {\n      revoked\n    }\n  }\n": typeof types.LogOutDocument,
    "\n  fragment TransactionRow on Transaction {\n    id\n    kind\n    status\n    amount\n    currency\n    createdAt\n    failureCode\n    holdState\n    note\n    reference\n    sender {\n      username\n    }\n    receiver {\n      username\n    }\n  }\n": typeof types.TransactionRowFragmentDoc,
    "\n  fragment ApiKeyFields on ApiKey {\n    id\n    name\n    prefix\n    scopes\n    createdAt\n    lastUsedAt\n    expiresAt\n    revokedAt\n  }\n": typeof types.ApiKeyFieldsFragmentDoc,
    "\n  query ApiKeys {\n    apiKeys {\n      ...ApiKeyFields\n    }\n  }\n": typeof types.ApiKeysDocument,
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      apiKey {\n        ...ApiKeyFields\n      }\n      key\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($input: RevokeApiKeyInput!) {\n    revokeApiKey(input: $input) {\n      apiKey {\n        id\n        revokedAt\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.RevokeApiKeyDocument,
    "\n  mutation LogIn($username: String!, $password: String!) {\n    tokenAuth(username: $username, password: $password) {\n      token\n      refreshToken\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.LogInDocument,
    "\n  mutation SignUp($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      refreshToken\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.SignUpDocument,
    "\n  query Dashboard {\n    wallet {\n      id\n      currency\n      balance\n      availableBalance\n      dailyTransferLimit\n      transferredToday\n    }\n    transactions(first: 5) {\n      edges {\n        node {\n          ...TransactionRow\n        }\n      }\n    }\n  }\n": typeof types.DashboardDocument,
    "\n  subscription WalletEvents {\n    walletEvents {\n      eventId\n      type\n      kind\n      status\n      amount\n      balance\n      transactionId\n    }\n  }\n": typeof types.WalletEventsDocument,
    "\n  query History(\n    $first: Int!\n    $after: String\n    $kind: TransactionKind\n    $status: TransactionStatus\n    $reference: String\n  ) {\n    transactions(first: $first, after: $after, kind: $kind, status: $status, reference: $reference) {\n      totalCount\n      edges {\n        node {\n          ...TransactionRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.HistoryDocument,
    "\n  query ActiveHolds {\n    transactions(first: 100, kind: HOLD, status: PENDING) {\n      edges {\n        node {\n          id\n          amount\n          currency\n          createdAt\n          expiresAt\n          holdState\n          note\n          sender {\n            username\n          }\n          receiver {\n            username\n          }\n        }\n      }\n    }\n  }\n": typeof types.ActiveHoldsDocument,
    "\n  mutation CreateHold($input: CreateHoldInput!) {\n    createHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.CreateHoldDocument,
    "\n  mutation CaptureHold($input: CaptureHoldInput!) {\n    captureHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.CaptureHoldDocument,
    "\n  mutation VoidHold($input: VoidHoldInput!) {\n    voidHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.VoidHoldDocument,
    "\n  mutation AddMoney($input: AddMoneyInput!) {\n    addMoney(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.AddMoneyDocument,
    "\n  mutation Transfer($input: TransferInput!) {\n    transfer(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.TransferDocument,
    "\n  mutation PayByMobile($input: PayByMobileInput!) {\n    payByMobile(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.PayByMobileDocument,
    "\n  mutation Withdraw($input: WithdrawInput!) {\n    withdraw(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.WithdrawDocument,
    "\n  fragment PaymentRequestFields on PaymentRequest {\n    id\n    amount\n    currency\n    note\n    status\n    requester\n    payer\n    createdAt\n    expiresAt\n    resolvedAt\n    transaction {\n      id\n      status\n    }\n  }\n": typeof types.PaymentRequestFieldsFragmentDoc,
    "\n  query PaymentRequests($role: PaymentRequestRole!, $status: PaymentRequestStatus, $first: Int!) {\n    paymentRequests(role: $role, status: $status, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...PaymentRequestFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n": typeof types.PaymentRequestsDocument,
    "\n  mutation RequestPayment($input: RequestPaymentInput!) {\n    requestPayment(input: $input) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.RequestPaymentDocument,
    "\n  mutation ApprovePaymentRequest($id: ID!, $idempotencyKey: String!) {\n    approvePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      transaction {\n        id\n        status\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.ApprovePaymentRequestDocument,
    "\n  mutation DeclinePaymentRequest($id: ID!, $idempotencyKey: String!) {\n    declinePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.DeclinePaymentRequestDocument,
    "\n  mutation CancelPaymentRequest($id: ID!, $idempotencyKey: String!) {\n    cancelPaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.CancelPaymentRequestDocument,
    "\n  query TransactionDetail($id: ID!) {\n    transaction(id: $id) {\n      ...TransactionRow\n      idempotencyKey\n      expiresAt\n      metadata\n      original {\n        id\n        kind\n        amount\n      }\n      receipt {\n        status\n        url\n        verificationCode\n      }\n      entries {\n        id\n        direction\n        amount\n        balanceAfter\n        pending\n        createdAt\n      }\n    }\n  }\n": typeof types.TransactionDetailDocument,
    "\n  fragment WebhookEndpointFields on WebhookEndpoint {\n    id\n    url\n    eventTypes\n    enabled\n    disabledReason\n    createdAt\n  }\n": typeof types.WebhookEndpointFieldsFragmentDoc,
    "\n  fragment WebhookDeliveryFields on WebhookDelivery {\n    id\n    endpointId\n    eventId\n    eventType\n    status\n    attempts\n    lastStatusCode\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n    redelivery\n    payload\n    attemptLog {\n      attemptedAt\n      statusCode\n      error\n      durationMs\n    }\n  }\n": typeof types.WebhookDeliveryFieldsFragmentDoc,
    "\n  query WebhookEndpoints {\n    webhookEndpoints {\n      ...WebhookEndpointFields\n    }\n  }\n": typeof types.WebhookEndpointsDocument,
    "\n  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!) {\n    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...WebhookDeliveryFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n": typeof types.WebhookDeliveriesDocument,
    "\n  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {\n    createWebhookEndpoint(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      secret\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.CreateWebhookEndpointDocument,
    "\n  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {\n    updateWebhookEndpoint(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.UpdateWebhookEndpointDocument,
    "\n  mutation DeleteWebhookEndpoint($input: WebhookEndpointIdInput!) {\n    deleteWebhookEndpoint(input: $input) {\n      deletedId\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.DeleteWebhookEndpointDocument,
    "\n  mutation RotateWebhookSecret($input: WebhookEndpointIdInput!) {\n    rotateWebhookSecret(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      secret\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.RotateWebhookSecretDocument,
    "\n  mutation RedeliverWebhook($input: RedeliverWebhookInput!) {\n    redeliverWebhook(input: $input) {\n      delivery {\n        ...WebhookDeliveryFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": typeof types.RedeliverWebhookDocument,
};
const documents: Documents = {
    "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) {\n      token\n      refreshToken\n      errors {\n        code\n        message\n      }\n    }\n  }\n": types.RefreshSessionDocument,
    "\n  query Viewer {\n    me {\n      id\n      username\n      mobileNumber\n    }\n    wallet {\n      id\n      currency\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation LogOut($refreshToken: String!) {\n    revokeToken(refreshToken: $refreshToken) {\n      revoked\n    }\n  }\n": types.LogOutDocument,
    "\n  fragment TransactionRow on Transaction {\n    id\n    kind\n    status\n    amount\n    currency\n    createdAt\n    failureCode\n    holdState\n    note\n    reference\n    sender {\n      username\n    }\n    receiver {\n      username\n    }\n  }\n": types.TransactionRowFragmentDoc,
    "\n  fragment ApiKeyFields on ApiKey {\n    id\n    name\n    prefix\n    scopes\n    createdAt\n    lastUsedAt\n    expiresAt\n    revokedAt\n  }\n": types.ApiKeyFieldsFragmentDoc,
    "\n  query ApiKeys {\n    apiKeys {\n      ...ApiKeyFields\n    }\n  }\n": types.ApiKeysDocument,
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      apiKey {\n        ...ApiKeyFields\n      }\n      key\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($input: RevokeApiKeyInput!) {\n    revokeApiKey(input: $input) {\n      apiKey {\n        id\n        revokedAt\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.RevokeApiKeyDocument,
    "\n  mutation LogIn($username: String!, $password: String!) {\n    tokenAuth(username: $username, password: $password) {\n      token\n      refreshToken\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.LogInDocument,
    "\n  mutation SignUp($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      refreshToken\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.SignUpDocument,
    "\n  query Dashboard {\n    wallet {\n      id\n      currency\n      balance\n      availableBalance\n      dailyTransferLimit\n      transferredToday\n    }\n    transactions(first: 5) {\n      edges {\n        node {\n          ...TransactionRow\n        }\n      }\n    }\n  }\n": types.DashboardDocument,
    "\n  subscription WalletEvents {\n    walletEvents {\n      eventId\n      type\n      kind\n      status\n      amount\n      balance\n      transactionId\n    }\n  }\n": types.WalletEventsDocument,
    "\n  query History(\n    $first: Int!\n    $after: String\n    $kind: TransactionKind\n    $status: TransactionStatus\n    $reference: String\n  ) {\n    transactions(first: $first, after: $after, kind: $kind, status: $status, reference: $reference) {\n      totalCount\n      edges {\n        node {\n          ...TransactionRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.HistoryDocument,
    "\n  query ActiveHolds {\n    transactions(first: 100, kind: HOLD, status: PENDING) {\n      edges {\n        node {\n          id\n          amount\n          currency\n          createdAt\n          expiresAt\n          holdState\n          note\n          sender {\n            username\n          }\n          receiver {\n            username\n          }\n        }\n      }\n    }\n  }\n": types.ActiveHoldsDocument,
    "\n  mutation CreateHold($input: CreateHoldInput!) {\n    createHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.CreateHoldDocument,
    "\n  mutation CaptureHold($input: CaptureHoldInput!) {\n    captureHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.CaptureHoldDocument,
    "\n  mutation VoidHold($input: VoidHoldInput!) {\n    voidHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.VoidHoldDocument,
    "\n  mutation AddMoney($input: AddMoneyInput!) {\n    addMoney(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.AddMoneyDocument,
    "\n  mutation Transfer($input: TransferInput!) {\n    transfer(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.TransferDocument,
    "\n  mutation PayByMobile($input: PayByMobileInput!) {\n    payByMobile(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.PayByMobileDocument,
    "\n  mutation Withdraw($input: WithdrawInput!) {\n    withdraw(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.WithdrawDocument,
    "\n  fragment PaymentRequestFields on PaymentRequest {\n    id\n    amount\n    currency\n    note\n    status\n    requester\n    payer\n    createdAt\n    expiresAt\n    resolvedAt\n    transaction {\n      id\n      status\n    }\n  }\n": types.PaymentRequestFieldsFragmentDoc,
    "\n  query PaymentRequests($role: PaymentRequestRole!, $status: PaymentRequestStatus, $first: Int!) {\n    paymentRequests(role: $role, status: $status, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...PaymentRequestFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n": types.PaymentRequestsDocument,
    "\n  mutation RequestPayment($input: RequestPaymentInput!) {\n    requestPayment(input: $input) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.RequestPaymentDocument,
    "\n  mutation ApprovePaymentRequest($id: ID!, $idempotencyKey: String!) {\n    approvePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      transaction {\n        id\n        status\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.ApprovePaymentRequestDocument,
    "\n  mutation DeclinePaymentRequest($id: ID!, $idempotencyKey: String!) {\n    declinePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.DeclinePaymentRequestDocument,
    "\n  mutation CancelPaymentRequest($id: ID!, $idempotencyKey: String!) {\n    cancelPaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.CancelPaymentRequestDocument,
    "\n  query TransactionDetail($id: ID!) {\n    transaction(id: $id) {\n      ...TransactionRow\n      idempotencyKey\n      expiresAt\n      metadata\n      original {\n        id\n        kind\n        amount\n      }\n      receipt {\n        status\n        url\n        verificationCode\n      }\n      entries {\n        id\n        direction\n        amount\n        balanceAfter\n        pending\n        createdAt\n      }\n    }\n  }\n": types.TransactionDetailDocument,
    "\n  fragment WebhookEndpointFields on WebhookEndpoint {\n    id\n    url\n    eventTypes\n    enabled\n    disabledReason\n    createdAt\n  }\n": types.WebhookEndpointFieldsFragmentDoc,
    "\n  fragment WebhookDeliveryFields on WebhookDelivery {\n    id\n    endpointId\n    eventId\n    eventType\n    status\n    attempts\n    lastStatusCode\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n    redelivery\n    payload\n    attemptLog {\n      attemptedAt\n      statusCode\n      error\n      durationMs\n    }\n  }\n": types.WebhookDeliveryFieldsFragmentDoc,
    "\n  query WebhookEndpoints {\n    webhookEndpoints {\n      ...WebhookEndpointFields\n    }\n  }\n": types.WebhookEndpointsDocument,
    "\n  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!) {\n    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...WebhookDeliveryFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n": types.WebhookDeliveriesDocument,
    "\n  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {\n    createWebhookEndpoint(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      secret\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.CreateWebhookEndpointDocument,
    "\n  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {\n    updateWebhookEndpoint(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.UpdateWebhookEndpointDocument,
    "\n  mutation DeleteWebhookEndpoint($input: WebhookEndpointIdInput!) {\n    deleteWebhookEndpoint(input: $input) {\n      deletedId\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.DeleteWebhookEndpointDocument,
    "\n  mutation RotateWebhookSecret($input: WebhookEndpointIdInput!) {\n    rotateWebhookSecret(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      secret\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.RotateWebhookSecretDocument,
    "\n  mutation RedeliverWebhook($input: RedeliverWebhookInput!) {\n    redeliverWebhook(input: $input) {\n      delivery {\n        ...WebhookDeliveryFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n": types.RedeliverWebhookDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) {\n      token\n      refreshToken\n      errors {\n        code\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RefreshSession($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) {\n      token\n      refreshToken\n      errors {\n        code\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    me {\n      id\n      username\n      mobileNumber\n    }\n    wallet {\n      id\n      currency\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    me {\n      id\n      username\n      mobileNumber\n    }\n    wallet {\n      id\n      currency\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut($refreshToken: String!) {\n    revokeToken(refreshToken: $refreshToken) {\n      revoked\n    }\n  }\n"): (typeof documents)["\n  mutation LogOut($refreshToken: String!) {\n    revokeToken(refreshToken: $refreshToken) {\n      revoked\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TransactionRow on Transaction {\n    id\n    kind\n    status\n    amount\n    currency\n    createdAt\n    failureCode\n    holdState\n    note\n    reference\n    sender {\n      username\n    }\n    receiver {\n      username\n    }\n  }\n"): (typeof documents)["\n  fragment TransactionRow on Transaction {\n    id\n    kind\n    status\n    amount\n    currency\n    createdAt\n    failureCode\n    holdState\n    note\n    reference\n    sender {\n      username\n    }\n    receiver {\n      username\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ApiKeyFields on ApiKey {\n    id\n    name\n    prefix\n    scopes\n    createdAt\n    lastUsedAt\n    expiresAt\n    revokedAt\n  }\n"): (typeof documents)["\n  fragment ApiKeyFields on ApiKey {\n    id\n    name\n    prefix\n    scopes\n    createdAt\n    lastUsedAt\n    expiresAt\n    revokedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ApiKeys {\n    apiKeys {\n      ...ApiKeyFields\n    }\n  }\n"): (typeof documents)["\n  query ApiKeys {\n    apiKeys {\n      ...ApiKeyFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      apiKey {\n        ...ApiKeyFields\n      }\n      key\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      apiKey {\n        ...ApiKeyFields\n      }\n      key\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiKey($input: RevokeApiKeyInput!) {\n    revokeApiKey(input: $input) {\n      apiKey {\n        id\n        revokedAt\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeApiKey($input: RevokeApiKeyInput!) {\n    revokeApiKey(input: $input) {\n      apiKey {\n        id\n        revokedAt\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($username: String!, $password: String!) {\n    tokenAuth(username: $username, password: $password) {\n      token\n      refreshToken\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation LogIn($username: String!, $password: String!) {\n    tokenAuth(username: $username, password: $password) {\n      token\n      refreshToken\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      refreshToken\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SignUp($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      refreshToken\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Dashboard {\n    wallet {\n      id\n      currency\n      balance\n      availableBalance\n      dailyTransferLimit\n      transferredToday\n    }\n    transactions(first: 5) {\n      edges {\n        node {\n          ...TransactionRow\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Dashboard {\n    wallet {\n      id\n      currency\n      balance\n      availableBalance\n      dailyTransferLimit\n      transferredToday\n    }\n    transactions(first: 5) {\n      edges {\n        node {\n          ...TransactionRow\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WalletEvents {\n    walletEvents {\n      eventId\n      type\n      kind\n      status\n      amount\n      balance\n      transactionId\n    }\n  }\n"): (typeof documents)["\n  subscription WalletEvents {\n    walletEvents {\n      eventId\n      type\n      kind\n      status\n      amount\n      balance\n      transactionId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query History(\n    $first: Int!\n    $after: String\n    $kind: TransactionKind\n    $status: TransactionStatus\n    $reference: String\n  ) {\n    transactions(first: $first, after: $after, kind: $kind, status: $status, reference: $reference) {\n      totalCount\n      edges {\n        node {\n          ...TransactionRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query History(\n    $first: Int!\n    $after: String\n    $kind: TransactionKind\n    $status: TransactionStatus\n    $reference: String\n  ) {\n    transactions(first: $first, after: $after, kind: $kind, status: $status, reference: $reference) {\n      totalCount\n      edges {\n        node {\n          ...TransactionRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ActiveHolds {\n    transactions(first: 100, kind: HOLD, status: PENDING) {\n      edges {\n        node {\n          id\n          amount\n          currency\n          createdAt\n          expiresAt\n          holdState\n          note\n          sender {\n            username\n          }\n          receiver {\n            username\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ActiveHolds {\n    transactions(first: 100, kind: HOLD, status: PENDING) {\n      edges {\n        node {\n          id\n          amount\n          currency\n          createdAt\n          expiresAt\n          holdState\n          note\n          sender {\n            username\n          }\n          receiver {\n            username\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateHold($input: CreateHoldInput!) {\n    createHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateHold($input: CreateHoldInput!) {\n    createHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CaptureHold($input: CaptureHoldInput!) {\n    captureHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CaptureHold($input: CaptureHoldInput!) {\n    captureHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation VoidHold($input: VoidHoldInput!) {\n    voidHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation VoidHold($input: VoidHoldInput!) {\n    voidHold(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddMoney($input: AddMoneyInput!) {\n    addMoney(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation AddMoney($input: AddMoneyInput!) {\n    addMoney(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Transfer($input: TransferInput!) {\n    transfer(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Transfer($input: TransferInput!) {\n    transfer(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PayByMobile($input: PayByMobileInput!) {\n    payByMobile(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation PayByMobile($input: PayByMobileInput!) {\n    payByMobile(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n        transferredToday\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Withdraw($input: WithdrawInput!) {\n    withdraw(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Withdraw($input: WithdrawInput!) {\n    withdraw(input: $input) {\n      transaction {\n        id\n        status\n      }\n      wallet {\n        id\n        balance\n        availableBalance\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PaymentRequestFields on PaymentRequest {\n    id\n    amount\n    currency\n    note\n    status\n    requester\n    payer\n    createdAt\n    expiresAt\n    resolvedAt\n    transaction {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  fragment PaymentRequestFields on PaymentRequest {\n    id\n    amount\n    currency\n    note\n    status\n    requester\n    payer\n    createdAt\n    expiresAt\n    resolvedAt\n    transaction {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PaymentRequests($role: PaymentRequestRole!, $status: PaymentRequestStatus, $first: Int!) {\n    paymentRequests(role: $role, status: $status, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...PaymentRequestFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n"): (typeof documents)["\n  query PaymentRequests($role: PaymentRequestRole!, $status: PaymentRequestStatus, $first: Int!) {\n    paymentRequests(role: $role, status: $status, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...PaymentRequestFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestPayment($input: RequestPaymentInput!) {\n    requestPayment(input: $input) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RequestPayment($input: RequestPaymentInput!) {\n    requestPayment(input: $input) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ApprovePaymentRequest($id: ID!, $idempotencyKey: String!) {\n    approvePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      transaction {\n        id\n        status\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ApprovePaymentRequest($id: ID!, $idempotencyKey: String!) {\n    approvePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      transaction {\n        id\n        status\n      }\n      replayed\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeclinePaymentRequest($id: ID!, $idempotencyKey: String!) {\n    declinePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation DeclinePaymentRequest($id: ID!, $idempotencyKey: String!) {\n    declinePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelPaymentRequest($id: ID!, $idempotencyKey: String!) {\n    cancelPaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CancelPaymentRequest($id: ID!, $idempotencyKey: String!) {\n    cancelPaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {\n      paymentRequest {\n        ...PaymentRequestFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TransactionDetail($id: ID!) {\n    transaction(id: $id) {\n      ...TransactionRow\n      idempotencyKey\n      expiresAt\n      metadata\n      original {\n        id\n        kind\n        amount\n      }\n      receipt {\n        status\n        url\n        verificationCode\n      }\n      entries {\n        id\n        direction\n        amount\n        balanceAfter\n        pending\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query TransactionDetail($id: ID!) {\n    transaction(id: $id) {\n      ...TransactionRow\n      idempotencyKey\n      expiresAt\n      metadata\n      original {\n        id\n        kind\n        amount\n      }\n      receipt {\n        status\n        url\n        verificationCode\n      }\n      entries {\n        id\n        direction\n        amount\n        balanceAfter\n        pending\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WebhookEndpointFields on WebhookEndpoint {\n    id\n    url\n    eventTypes\n    enabled\n    disabledReason\n    createdAt\n  }\n"): (typeof documents)["\n  fragment WebhookEndpointFields on WebhookEndpoint {\n    id\n    url\n    eventTypes\n    enabled\n    disabledReason\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WebhookDeliveryFields on WebhookDelivery {\n    id\n    endpointId\n    eventId\n    eventType\n    status\n    attempts\n    lastStatusCode\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n    redelivery\n    payload\n    attemptLog {\n      attemptedAt\n      statusCode\n      error\n      durationMs\n    }\n  }\n"): (typeof documents)["\n  fragment WebhookDeliveryFields on WebhookDelivery {\n    id\n    endpointId\n    eventId\n    eventType\n    status\n    attempts\n    lastStatusCode\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n    redelivery\n    payload\n    attemptLog {\n      attemptedAt\n      statusCode\n      error\n      durationMs\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhookEndpoints {\n    webhookEndpoints {\n      ...WebhookEndpointFields\n    }\n  }\n"): (typeof documents)["\n  query WebhookEndpoints {\n    webhookEndpoints {\n      ...WebhookEndpointFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!) {\n    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...WebhookDeliveryFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!) {\n    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first) {\n      totalCount\n      edges {\n        node {\n          ...WebhookDeliveryFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {\n    createWebhookEndpoint(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      secret\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {\n    createWebhookEndpoint(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      secret\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {\n    updateWebhookEndpoint(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {\n    updateWebhookEndpoint(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteWebhookEndpoint($input: WebhookEndpointIdInput!) {\n    deleteWebhookEndpoint(input: $input) {\n      deletedId\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteWebhookEndpoint($input: WebhookEndpointIdInput!) {\n    deleteWebhookEndpoint(input: $input) {\n      deletedId\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateWebhookSecret($input: WebhookEndpointIdInput!) {\n    rotateWebhookSecret(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      secret\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RotateWebhookSecret($input: WebhookEndpointIdInput!) {\n    rotateWebhookSecret(input: $input) {\n      endpoint {\n        ...WebhookEndpointFields\n      }\n      secret\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RedeliverWebhook($input: RedeliverWebhookInput!) {\n    redeliverWebhook(input: $input) {\n      delivery {\n        ...WebhookDeliveryFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RedeliverWebhook($input: RedeliverWebhookInput!) {\n    redeliverWebhook(input: $input) {\n      delivery {\n        ...WebhookDeliveryFields\n      }\n      errors {\n        code\n        field\n        message\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;