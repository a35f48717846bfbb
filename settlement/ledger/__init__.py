"""The double-entry ledger: accounts in integer cents, balanced append-only journal entries.

Public API (what other apps call; everything else is internal):

- `operations.post_entry(*, kind, source_type, source_id, currency, postings, memo, now)`:
  post one balanced journal entry; idempotent by (kind, source_type, source_id).
- `operations.account_for(*, kind, currency, program=None, participant=None)`: the account
  a posting names (created on first use).
- `queries.participant_payable_cents`, `participant_receivable_cents`,
  `participant_net_payable_cents`, `participant_in_transit_cents`, `account_balance_cents`,
  `entries_for_source`, `violations`.
"""
