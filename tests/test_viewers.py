"""The viewers harness sees what a person would see, and fails when a person would frown."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from viewers import (Box, Message, blank, compile_latex, ink, latex_warnings, open_in_chromium, pdf_to_png, read_log,
                     read_png, require)

ARTICLE = r"""\documentclass{article}
\usepackage{amsmath}
\begin{document}
%s
\end{document}
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
<body>%s</body></html>
"""

FORMULA_AND_DIAGRAM = PAGE % ("formula and diagram", """
<p>The slope: <math><mfrac><mi>a</mi><mi>b</mi></mfrac></math></p>
<svg width="240" height="120" viewBox="0 0 240 120">
  <line x1="30" y1="60" x2="210" y2="30" stroke="black" stroke-width="2"/>
  <line x1="30" y1="60" x2="210" y2="90" stroke="black" stroke-width="2"/>
  <circle cx="30" cy="60" r="20" fill="#8ecae6" stroke="black"/>
  <circle cx="210" cy="30" r="20" fill="#ffb703" stroke="black"/>
  <circle cx="210" cy="90" r="20" fill="#ffb703" stroke="black"/>
</svg>
""")


def write_png(path: Path, pixels: np.ndarray, kind: int) -> Path:
    """Encode 8-bit pixels (height, width, channels) as a PNG whose every row uses filter kind."""
    height, width, channels = pixels.shape
    bpp, rows, previous = channels, [], np.zeros(width * channels, int)
    for row in pixels.reshape(height, -1).astype(int):
        left = np.concatenate([np.zeros(bpp, int), row[:-bpp]])
        corner = np.concatenate([np.zeros(bpp, int), previous[:-bpp]])
        guess = left + previous - corner
        pa, pb, pc = abs(guess - left), abs(guess - previous), abs(guess - corner)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, previous, corner))
        predictor = [0, left, previous, (left + previous) // 2, paeth][kind]
        rows.append(bytes([kind]) + bytes(((row - predictor) % 256).tolist()))
        previous = row

    def chunk(name: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))

    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
                     + chunk(b"IEND", b""))
    return path


# --- PNG and ink ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", range(5))
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_png_reader_undoes_every_filter(tmp_path, rng, kind, channels):
    pixels = rng.integers(0, 256, size=(7, 5, channels), dtype=np.uint8)
    if channels == 4:
        pixels[..., 3] = 255
    expected = np.repeat(pixels, 3, axis=2) if channels == 1 else pixels[..., :3]
    assert (read_png(write_png(tmp_path / "random.png", pixels, kind)) == expected).all()


def test_transparency_is_laid_over_white(tmp_path):
    pixels = np.array([[[0, 0, 0, 0], [0, 0, 0, 255]]], np.uint8)
    assert read_png(write_png(tmp_path / "alpha.png", pixels, 0)).tolist() == [[[255] * 3, [0] * 3]]


def test_ink_is_measured_against_the_most_common_colour(tmp_path):
    pixels = np.full((10, 20, 3), 240, np.uint8)
    pixels[2:4, 12:16] = 0
    png = write_png(tmp_path / "dots.png", pixels, 4)
    assert ink(png) == pytest.approx(8 / 200)
    assert ink(png, Box("dots", 12, 2, 4, 2)) == 1.0
    assert blank(png, (0, 0, 10, 10))
    assert not blank(png)


# --- require ----------------------------------------------------------------------------------------

def test_a_missing_viewer_skips_the_test(monkeypatch):
    monkeypatch.delenv("BACKPROP_VIEWERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-viewer is not installed"):
        require("no-such-viewer")


def test_a_missing_viewer_fails_the_test_when_viewers_are_required(monkeypatch):
    monkeypatch.setenv("BACKPROP_VIEWERS", "required")
    with pytest.raises(pytest.fail.Exception, match="no-such-viewer is not installed"):
        require("no-such-viewer")


# --- LaTeX ------------------------------------------------------------------------------------------

def test_latex_with_math_compiles_to_a_page_with_ink(tmp_path):
    formula = r"\[ \frac{\partial L}{\partial w^{(2)}_{jk}} = \delta^{(2)}_j \, a^{(1)}_k \]"
    pdf = compile_latex(ARTICLE % formula, tmp_path)
    png = pdf_to_png(pdf, tmp_path)
    assert png.read_bytes().startswith(b"\x89PNG")
    assert 0 < ink(png) < 0.05
    assert latex_warnings(read_log(pdf.with_suffix(".log"))) == []


def test_cross_references_get_a_second_pass(tmp_path):
    body = r"\tableofcontents \section{Deltas}\label{deltas} As Section~\ref{deltas} shows."
    log = read_log(compile_latex(ARTICLE % body, tmp_path).with_suffix(".log"))
    assert "Rerun" not in log and "undefined" not in log


def test_an_undefined_control_sequence_is_reported_with_its_line(tmp_path):
    with pytest.raises(AssertionError, match=r"document\.tex:4: Undefined control sequence") as failure:
        compile_latex(ARTICLE % r"\[ \nosuchmacro{x} \]", tmp_path)
    assert r"\nosuchmacro" in str(failure.value)


def test_a_unicode_character_latex_does_not_know_is_reported(tmp_path):
    with pytest.raises(AssertionError, match=r"Unicode character δ \(U\+03B4\)"):
        compile_latex(ARTICLE % "the error δ", tmp_path)


def test_a_glyph_missing_from_the_font_is_reported_though_pdflatex_goes_on(tmp_path):
    with pytest.raises(AssertionError, match="Missing character: There is no .* in font cmr10"):
        compile_latex(ARTICLE % r"a \char255 b", tmp_path)


def test_an_undefined_reference_is_reported(tmp_path):
    with pytest.raises(AssertionError, match="Reference `nowhere' on page 1 undefined"):
        compile_latex(ARTICLE % r"See~\ref{nowhere}.", tmp_path)


def test_latex_that_never_ends_is_stopped(tmp_path):
    with pytest.raises(AssertionError, match="did not finish"):
        compile_latex(ARTICLE % r"\def\loop{\loop}\loop", tmp_path, timeout=1)


# --- Chromium ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def formula_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chromium")
    html = folder / "formula.html"
    html.write_text(FORMULA_AND_DIAGRAM, encoding="utf-8")
    return open_in_chromium(html, folder, selector="math, mi, svg")


def test_a_page_with_mathml_and_svg_opens_without_console_problems(formula_page):
    assert formula_page.problems == []
    assert [box.name for box in formula_page.boxes] == ["math", "mi", "mi", "svg"]


def test_mathml_and_svg_are_laid_out_and_drawn(formula_page):
    math, numerator, denominator, svg = formula_page.boxes
    assert (svg.width, svg.height) == (240, 120)
    # Laid out as a fraction, not as the letters "ab" side by side.
    assert denominator.y >= numerator.y + numerator.height - 1
    assert abs(denominator.x - numerator.x) < 2
    assert ink(formula_page.screenshot, math) > 0.05
    assert ink(formula_page.screenshot, svg) > 0.1
    assert blank(formula_page.screenshot, (0, svg.y + svg.height + 10, 1000, 300))


def test_console_errors_warnings_exceptions_and_failed_loads_are_reported(tmp_path):
    html = tmp_path / "noisy.html"
    html.write_text(PAGE % ("noisy", """
<img src="missing.png" alt="">
<script>
console.log("fine");
console.warn("careful");
console.error("broken", 42);
undefinedFunction();
</script>
<script src="https://example.com/library.js"></script>
"""), encoding="utf-8")
    page = open_in_chromium(html, tmp_path)
    problems = [(m.level, m.text) for m in page.problems]
    assert ("warning", "careful") in problems
    assert ("error", "broken 42") in problems
    assert any(level == "error" and "undefinedFunction is not defined" in text for level, text in problems)
    assert ("error", "Failed to load resource: net::ERR_FILE_NOT_FOUND") in problems
    # No network: a page that is not self-contained fails at once.
    assert ("error", "Failed to load resource: net::ERR_NAME_NOT_RESOLVED") in problems
    assert ("log", "fine") in [(m.level, m.text) for m in page.messages]
    assert not any(m.text == "fine" for m in page.problems)
    assert Message("error", "broken 42", f"{html.as_uri()}:8") in page.problems


def test_a_blank_page_shows_a_blank_screenshot(tmp_path):
    html = tmp_path / "blank.html"
    html.write_text(PAGE % ("blank", ""), encoding="utf-8")
    page = open_in_chromium(html, tmp_path)
    assert page.messages == [] and page.boxes == []
    assert blank(page.screenshot)


def test_a_page_that_never_loads_is_stopped(tmp_path):
    html = tmp_path / "endless.html"
    html.write_text(PAGE % ("endless", "<script>while (true) {}</script>"), encoding="utf-8")
    with pytest.raises(AssertionError, match="did not answer"):
        open_in_chromium(html, tmp_path, timeout=2)
