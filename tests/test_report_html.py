"""The HTML report rendered in headless Chromium: measured, not only searched for strings.

A copy of each page gets a measuring script (the report's own Content-Security-Policy allows no
script, so the copy allows an inline one): it takes the bounding box of every SVG text
(getBBox against the chart's viewBox, and its client rect against the chart's), the client
rects of every other text against its element and the page, the budget bars against their
tracks, and the colour of every status. Chromium's ``--dump-dom`` returns the page with the
measurements written into it. The same is done with the print stylesheet applied at the width
of an A4 page, and the page is printed to PDF.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from finops_preview.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.usefixtures("program_replay"),
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it; "
                                                          "here: apt-get install -y chromium)")]

REPORT = ROOT / "tests" / "fixtures" / "report"
CHARGEBACK = ROOT / "tests" / "fixtures" / "chargeback"
CSP = "default-src 'none'; style-src 'unsafe-inline'"
A4_PRINTABLE_PX = 688      # (210 mm - 2 x 14 mm page margin) at 96 px per inch

MEASURE = r"""
<script>
(function () {
  const problems = [];
  const inside = (r, box, slack) => r.left >= box.left - slack && r.right <= box.right + slack &&
                                    r.top >= box.top - slack && r.bottom <= box.bottom + slack;
  const rect = r => [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)];
  let svgTexts = 0, htmlTexts = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const vb = svg.viewBox.baseVal, box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      svgTexts++;
      const b = t.getBBox();
      if (b.x < 0 || b.y < 0 || b.x + b.width > vb.width || b.y + b.height > vb.height) {
        problems.push({kind: 'svg text outside its chart', text: t.textContent,
                       bbox: [b.x, b.y, b.x + b.width, b.y + b.height], viewBox: [vb.width, vb.height]});
      }
      if (!inside(t.getBoundingClientRect(), box, 0.5)) {
        problems.push({kind: 'svg text clipped on the page', text: t.textContent});
      }
    }
  }
  const page = {left: 0, top: 0, right: document.documentElement.clientWidth, bottom: Infinity};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || parent.closest('svg') || parent.id === 'measurements') continue;
    htmlTexts++;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = parent.getBoundingClientRect();
    for (const r of range.getClientRects()) {
      if (!inside(r, box, 1)) problems.push({kind: 'text overflows its element', text: node.textContent,
                                             element: parent.tagName, rect: rect(r), box: rect(box)});
      if (!inside(r, page, 1)) problems.push({kind: 'text outside the page', text: node.textContent, rect: rect(r)});
    }
  }
  for (const track of document.querySelectorAll('.track')) {
    const box = track.getBoundingClientRect();
    for (const part of track.children) {
      if (!inside(part.getBoundingClientRect(), box, 3)) problems.push({kind: 'budget bar outside its track',
                                                                       part: part.className});
    }
  }
  const colours = {};
  for (const el of document.querySelectorAll('.fill, .swatch')) {
    const status = [...el.classList].find(c => c !== 'fill' && c !== 'swatch');
    (colours[status] = colours[status] || []).push(getComputedStyle(el).backgroundColor);
  }
  const rows = {};
  for (const tr of document.querySelectorAll('#budgets tbody tr')) {
    (rows[tr.className] = rows[tr.className] || []).push(getComputedStyle(tr.cells[0]).backgroundColor);
  }
  const out = document.createElement('pre');
  out.id = 'measurements';
  out.textContent = JSON.stringify({problems, svgTexts, htmlTexts, colours, rows,
    pageWidth: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth,
    bars: document.querySelectorAll('svg rect').length, tracks: document.querySelectorAll('.track').length,
    marks: document.querySelectorAll('.track .mark:not(.budget)').length});
  document.body.appendChild(out);
})();
</script>
"""


def _flags(profile: Path) -> list[str]:
    return [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
            f"--user-data-dir={profile}"]


def _report(tmp: Path, name: str, *args: str) -> Path:
    target = tmp / f"{name}.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINOPS_TODAY", "2026-11-29")
        mp.setattr("sys.stderr", io.StringIO())
        assert main(["report", *args, "--format", "html", "-o", str(target)]) == 0
    return target


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    tmp = tmp_path_factory.mktemp("html")
    yield {
        "report": _report(tmp, "report", "--stacks", "dev,staging,prod", "-C", str(REPORT),
                          "--actuals", str(REPORT / "actuals.json"), "--units", str(REPORT / "units.yaml"),
                          "--usage-file", str(REPORT / "usage.yaml")),
        # The hostile tag value <img src=x onerror=alert(1)> is the longest label of its charts.
        "chargeback": _report(tmp, "chargeback", "--stacks", "dev", "-C", str(CHARGEBACK)),
    }


_MEASURED: dict[tuple[Path, int, bool], dict[str, Any]] = {}


def measure(page: Path, tmp: Path, width: int, print_media: bool = False) -> dict[str, Any]:
    """The page's measurements at ``width``; a page is rendered once per width and media for every
    test that reads its measurements (each Chromium start takes a second of the suite)."""
    key = (page, width, print_media)
    if key not in _MEASURED:
        _MEASURED[key] = _render_and_measure(page, tmp, width, print_media)
    return _MEASURED[key]


def _render_and_measure(page: Path, tmp: Path, width: int, print_media: bool) -> dict[str, Any]:
    text = page.read_text(encoding="utf-8")
    assert CSP in text and "<script" not in text
    text = text.replace(CSP, CSP + "; script-src 'unsafe-inline'").replace("</body>", MEASURE + "</body>")
    if print_media:
        text = text.replace("@media print", "@media all")
    copy = tmp / f"measured-{page.name}"
    copy.write_text(text, encoding="utf-8")
    dom = subprocess.run([*_flags(tmp / "profile"), f"--window-size={width},1600", "--virtual-time-budget=3000",
                          "--dump-dom", copy.as_uri()], capture_output=True, text=True, timeout=180, check=True).stdout
    found = re.search(r'<pre id="measurements">(.*?)</pre>', dom, re.S)
    assert found, "the measuring script did not run: " + dom[-500:]
    return dict(json.loads(html.unescape(found.group(1))))


@pytest.mark.parametrize("name", ["report", "chargeback"])
@pytest.mark.parametrize(("width", "print_media"), [(1280, False), (A4_PRINTABLE_PX, True)],
                         ids=["screen", "print-a4"])
def test_no_text_is_clipped_or_overflows(pages: dict[str, Path], tmp_path: Path, name: str, width: int,
                                         print_media: bool) -> None:
    measured = measure(pages[name], tmp_path, width, print_media)
    assert measured["problems"] == []
    assert measured["svgTexts"] >= 8 and measured["htmlTexts"] >= 40   # it measured a real page
    assert measured["pageWidth"] <= measured["viewport"]                # nothing sticks out sideways


def test_budget_bars_have_the_alert_marks(pages: dict[str, Path], tmp_path: Path) -> None:
    measured = measure(pages["report"], tmp_path, 1280)
    assert measured["tracks"] >= 15 and measured["marks"] == 3 * measured["tracks"]   # 50, 75, 90 %
    page = pages["report"].read_text(encoding="utf-8")
    for mark in (50, 75, 90):
        assert f'title="{mark} %"' in page
    assert 'title="budget"' in page


def test_each_status_has_one_colour(pages: dict[str, Path], tmp_path: Path) -> None:
    measured = measure(pages["report"], tmp_path, 1280)
    colours = {status: set(found) for status, found in measured["colours"].items()}
    assert set(colours) == {"overspend", "near", "unallocated", "within"}
    assert all(len(found) == 1 for found in colours.values()), colours        # bars and legend agree
    assert len({next(iter(found)) for found in colours.values()}) == 4        # and no colour means two things
    rows = {status: set(found) for status, found in measured["rows"].items()}
    assert all(len(found) == 1 for found in rows.values()), rows
    assert len({next(iter(found)) for found in rows.values()}) == len(rows)


def test_the_page_prints_to_pdf(pages: dict[str, Path], tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    subprocess.run([*_flags(tmp_path / "profile"), "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    pages["report"].as_uri()], capture_output=True, timeout=180, check=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2     # the tables continue on further pages
