"""OpenADR 3.1.0 VTN: the utility's systems and aggregators' VENs talk to the service here."""
