"""Local fakes of external services (a Stripe Connect server) for tests and the demo."""
