"""Payouts: payout accounts, payout rows, the Stripe gateway, webhooks, bill credits."""
