"""The OAuth scopes of OpenADR 3.1.0 and what each role gets without asking."""

READ_ALL = "read_all"
READ_TARGETS = "read_targets"
READ_VEN_OBJECTS = "read_ven_objects"
WRITE_PROGRAMS = "write_programs"
WRITE_EVENTS = "write_events"
WRITE_REPORTS = "write_reports"
WRITE_SUBSCRIPTIONS = "write_subscriptions"
WRITE_VENS = "write_vens"

ALL = (
    READ_ALL,
    READ_TARGETS,
    READ_VEN_OBJECTS,
    WRITE_PROGRAMS,
    WRITE_EVENTS,
    WRITE_REPORTS,
    WRITE_SUBSCRIPTIONS,
    WRITE_VENS,
)

# A business-logic client reads everything and writes programs, events, subscriptions and
# VENs; a VEN reads what targets it and its own objects, and writes reports,
# subscriptions and its own VEN and resources (the spec's table of scopes per role).
DEFAULTS = {
    "BL": [READ_ALL, WRITE_PROGRAMS, WRITE_EVENTS, WRITE_SUBSCRIPTIONS, WRITE_VENS],
    "VEN": [READ_TARGETS, READ_VEN_OBJECTS, WRITE_REPORTS, WRITE_SUBSCRIPTIONS, WRITE_VENS],
}
