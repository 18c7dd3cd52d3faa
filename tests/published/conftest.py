"""Fixtures: small published-data files written in the NHS layouts, for fast tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from .published_files import RAW_2017_HEADER, RAW_2022_HEADER, england_row, write_csv


@pytest.fixture
def raw_two_years(tmp_path) -> Path:
    """A folder with raw main CSVs for 2017-18 and 2022-23 (different spellings)."""
    folder = tmp_path / "raw"
    folder.mkdir()
    write_csv(folder / "psych-ther-ann-rep-csv-2017-18-main-csv.csv", RAW_2017_HEADER, [
        england_row(1439957, 1400000, 560000, None, 554709, 517393, 36767, 263295,
                    250395, 368518, 32931, 147631),
        ["Provider", "P1", "Provider One", "Total", "Total", "NULL", "2000", "1900",
         "700", "800", "760", "40", "380", "360", "540", "45", "215", "50", "47", "68",
         "6", "27", "6.5"],
        ["Provider", "P2", "Provider Two", "Total", "Total", "NULL", "900", "880", "300",
         "400", "390", "*", "150", "140", "250", "20", "130", "39", "36", "63", "5",
         "33", "5.9"],
    ])
    write_csv(folder / "psych-ther-ann-rep-csv-2022-23-main-v2.csv", RAW_2022_HEADER, [
        england_row(1759581, 1700000, 600000, 420000, 672193, 633236, 37805, 316251,
                    297186, 446968, 39919, 174915, spelling="2022"),
        ["Provider", "P1", "Provider One", "Total", "Total", "NULL", "2100", "2000",
         "690", "410", "850", "800", "45", "400", "380", "575", "50", "225", "50", "47",
         "68", "6", "26", "6.7"],
        ["Provider", "P2", "Provider Two", "Total", "Total", "NULL", "950", "900", "320",
         "200", "420", "400", "15", "160", "150", "265", "20", "135", "39", "37", "63",
         "5", "32", "6.0"],
        ["Provider", "P3", "Provider Three", "Total", "Total", "NULL", "30", "25", "*",
         "*", "10", "10", "*", "*", "*", "5", "*", "*", "*", "*", "50", "*", "*", "*"],
    ])
    return folder
