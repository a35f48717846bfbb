"""The double-entry ledger: accounts in integer cents, balanced append-only journal entries.

Public API (what other apps call; everything else is internal):

- `booking.book_statement_approval`, `book_receivable_offset`, `book_payout_sent`,
  `book_payout_paid`, `book_payout_failed`, `book_transfer_reversed`: every money movement,
  one typed function each (keyword-only ids, owners, currency, integer cents).
- Internal to the ledger: `operations.post_entry` (one balanced journal entry, idempotent by
  kind, source type and id) and `operations.account_for`; only `booking` calls them, which an
  import-linter contract enforces.
- `queries.participant_payable_cents`, `participant_receivable_cents`,
  `participant_net_payable_cents`, `participant_in_transit_cents`, `account_balance_cents`,
  `entries_for_source`, `violations`.
"""
