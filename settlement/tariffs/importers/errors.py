"""The error a tariff file raises when it cannot be read as a tariff."""

from settlement.errors import DomainError


class TariffFileError(DomainError):
    """A tariff file is malformed; the message names the field or line and the reason."""

    code = "tariff_file_invalid"
    http_status = 400
