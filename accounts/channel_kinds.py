"""Which channel kinds belong to a charger's sub-meter, and which measure export.

Pure (no Django), so validation code outside the ORM shares the one definition.
"""

from typing import Final

SITE_KINDS: Final = frozenset({"SITE_EXPORT", "SITE_IMPORT"})
EVSE_KINDS: Final = frozenset({"EVSE_EXPORT", "EVSE_IMPORT"})
EXPORT_KINDS: Final = frozenset({"SITE_EXPORT", "EVSE_EXPORT"})
