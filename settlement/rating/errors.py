"""Errors the rating core raises when its inputs break a rule."""

from settlement.errors import DomainError


class RatingInputError(DomainError):
    """The intervals, tariff or billing period given to the rating core are not valid."""

    code = "rating_input_invalid"
    http_status = 400
