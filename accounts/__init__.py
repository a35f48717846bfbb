"""Users, participants, sites, chargers, channels, programs and enrollments."""
