"""Pure rating core: intervals and tariffs in, priced statement lines out (no Django)."""
