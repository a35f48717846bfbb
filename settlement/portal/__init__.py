"""Owner web pages: what I am enrolled in, what I exported, what I was paid."""
