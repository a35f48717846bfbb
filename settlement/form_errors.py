"""A refusal from an operation shown on the form that asked for it, in plain words.

Operations name the field they refuse in `details["field"]` and often start their message
with its code name ("period: 'July' is not a month YYYY-MM"), which suits the API. On a
page the error goes beside that field, where its label already says which one, without
the code name; an error about no one field stays at the top of the form.
"""

from django import forms

from settlement.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Add `error` to `form`: to its field when it names one of the form's, else on top."""
    field = str(error.details.get("field", ""))
    if field in form.fields:
        form.add_error(field, plain(error.message, field=field))
    else:
        form.add_error(None, error.message)


def plain(message: str, *, field: str) -> str:
    """Return `message` without a leading "field: " and with its first letter capital."""
    prefix = f"{field}: "
    text = message[len(prefix) :] if message.startswith(prefix) else message
    return text[:1].upper() + text[1:]
