"""The GraphQL documents the API tests send, as a client app would keep them."""

ERRORS = "errors { code field message }"
TRANSACTION_FIELDS = """
    id kind status amount currency idempotencyKey failureCode note createdAt
    sender { username } receiver { username }
    entries { id direction amount balanceAfter }
"""
MOVEMENT_RESULT = f"transaction {{ {TRANSACTION_FIELDS} }} wallet {{ id balance transferredToday }} replayed {ERRORS}"

REGISTER = f"""
mutation Register($input: RegisterInput!) {{
  register(input: $input) {{ user {{ id username mobileNumber wallet {{ balance }} }} token refreshToken {ERRORS} }}
}}"""

TOKEN_AUTH = f"""
mutation Login($username: String!, $password: String!) {{
  tokenAuth(username: $username, password: $password) {{ token refreshToken user {{ username }} {ERRORS} }}
}}"""

REFRESH_TOKEN = f"""
mutation Refresh($refreshToken: String!) {{
  refreshToken(refreshToken: $refreshToken) {{ token refreshToken {ERRORS} }}
}}"""

REVOKE_TOKEN = f"""
mutation Revoke($refreshToken: String!) {{
  revokeToken(refreshToken: $refreshToken) {{ revoked {ERRORS} }}
}}"""

VERIFY_TOKEN = f"""
mutation Verify($token: String!) {{
  verifyToken(token: $token) {{ payload {ERRORS} }}
}}"""

ADD_MONEY = f"""
mutation AddMoney($input: AddMoneyInput!) {{ addMoney(input: $input) {{ {MOVEMENT_RESULT} }} }}"""

TRANSFER = f"""
mutation Transfer($input: TransferInput!) {{ transfer(input: $input) {{ {MOVEMENT_RESULT} }} }}"""

PAY_BY_MOBILE = f"""
mutation PayByMobile($input: PayByMobileInput!) {{ payByMobile(input: $input) {{ {MOVEMENT_RESULT} }} }}"""

WITHDRAW = f"""
mutation Withdraw($input: WithdrawInput!) {{ withdraw(input: $input) {{ {MOVEMENT_RESULT} }} }}"""

ME = "query Me { me { id username mobileNumber wallet { id currency balance } } }"

WALLET = "query Wallet { wallet { id currency balance dailyTransferLimit transferredToday } }"

TRANSACTIONS = f"""
query Transactions($first: Int, $after: String, $kind: TransactionKind, $status: TransactionStatus) {{
  transactions(first: $first, after: $after, kind: $kind, status: $status) {{
    totalCount
    pageInfo {{ hasNextPage hasPreviousPage endCursor }}
    edges {{ cursor node {{ {TRANSACTION_FIELDS} }} }}
  }}
}}"""

TRANSACTION = f"query Transaction($id: ID!) {{ transaction(id: $id) {{ {TRANSACTION_FIELDS} }} }}"

LEDGER_ENTRIES = """
query LedgerEntries($first: Int, $after: String) {
  ledgerEntries(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id direction amount balanceAfter createdAt transaction { id kind } } }
  }
}"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    id
    __typename
    ... on User { username }
    ... on Wallet { balance }
    ... on Transaction { amount }
    ... on LedgerEntry { balanceAfter }
  }
}"""

REVERSE_TRANSACTION = f"""
mutation Reverse($input: ReverseTransactionInput!) {{
  reverseTransaction(input: $input) {{ {MOVEMENT_RESULT} }}
}}"""

HOLD_RESULT = f"""
    transaction {{
      id kind status amount expiresAt holdState receiver {{ username }} entries {{ pending direction amount }}
    }}
    wallet {{ balance availableBalance }}
    replayed {ERRORS}
"""
CREATE_HOLD = f"mutation($input: CreateHoldInput!) {{ createHold(input: $input) {{ {HOLD_RESULT} }} }}"
CAPTURE_HOLD = f"mutation($input: CaptureHoldInput!) {{ captureHold(input: $input) {{ {HOLD_RESULT} }} }}"
VOID_HOLD = f"mutation($input: VoidHoldInput!) {{ voidHold(input: $input) {{ {HOLD_RESULT} }} }}"

TRANSFER_BATCH = f"""
mutation Batch($input: TransferBatchInput!) {{
  transferBatch(input: $input) {{
    transactions {{ id status failureCode amount receiver {{ username }} }} wallet {{ balance }} replayed {ERRORS}
  }}
}}"""
