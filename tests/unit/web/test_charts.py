"""The trend charts are plain SVG drawn on the server, labelled for people and screen readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from services.web.charts import Series, grouped_bars

SVG = "{http://www.w3.org/2000/svg}"


def test_one_bar_per_week_and_series_scaled_to_the_largest_value() -> None:
    drawn = grouped_bars(
        "Cases & weeks", ["02/03", "09/03"], [Series("Open", [4, 2]), Series("Stalled", [1, 0])]
    )
    root = ET.fromstring(drawn)
    assert root.get("aria-label") == "Cases & weeks"
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.find(f"{SVG}title").text for r in bars] == [  # type: ignore[union-attr]
        "Open: 4",
        "Stalled: 1",
        "Open: 2",
        "Stalled: 0",
    ]
    heights = [float(r.get("height", "0")) for r in bars]
    assert heights[0] == max(heights) and heights[2] == heights[0] / 2 and heights[3] == 0
