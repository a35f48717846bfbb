"""Where the tariff-file fixtures live."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
URDB_RESIDENTIAL = FIXTURES / "tariffs" / "urdb_residential_tou_sell.json"
PGE_NBT24_2025 = FIXTURES / "samples" / "pge" / "pge_nbt24_export_rates_2025.csv"
SCE_2024_VINTAGE = FIXTURES / "samples" / "sce" / "sce_export_credit_table_2024.csv"
