"""Rate preview: one channel's readings priced with a tariff over local dates, for staff."""
