"""Look at rendered output as a person would: pdflatex and pdftoppm for LaTeX, headless Chromium for HTML.

Tests call these plain functions. A missing viewer skips the test, or fails it when the environment
sets BACKPROP_VIEWERS=required (CI does, after installing the viewers).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

TIMEOUT = 60.0
WINDOW = (1000, 800)


def require(program: str) -> str:
    """The path of program; skip the test when it is missing (fail when BACKPROP_VIEWERS=required)."""
    path = shutil.which(program)
    if path:
        return path
    reason = f"{program} is not installed (.ci/run installs it)"
    if os.environ.get("BACKPROP_VIEWERS") == "required":
        pytest.fail(f"{reason}, and BACKPROP_VIEWERS=required", pytrace=False)
    pytest.skip(reason)


# --- LaTeX ------------------------------------------------------------------------------------------

# What makes a second pass worth it: cross-references, or a table of contents written on the first one.
RERUN = re.compile(r"Rerun to get|Rerun LaTeX|^No file .*\.(?:toc|lof|lot)\.$", re.M)
# Content that silently vanishes from the PDF: pdflatex drops a glyph its font lacks, and prints ??
# for an undefined reference; neither stops the run.
LOST = re.compile(r"^Missing character: .*|^LaTeX Warning: (?:Reference|Citation) .* undefined.*", re.M)


def compile_latex(tex: str, folder: Path, name: str = "document", timeout: float = TIMEOUT) -> Path:
    """Write tex to folder/name.tex and compile it with pdflatex; the PDF, or AssertionError with the log."""
    pdflatex = require("pdflatex")
    source = folder / f"{name}.tex"
    source.write_text(tex, encoding="utf-8")
    pdf = source.with_suffix(".pdf")
    pdf.unlink(missing_ok=True)
    for _ in range(2):
        log = _run_pdflatex(pdflatex, source, timeout)
        if not RERUN.search(log):
            break
    lost = LOST.findall(log)
    if lost:
        raise AssertionError(f"pdflatex lost content in {source}:\n" + "\n".join(lost))
    return pdf


def _run_pdflatex(pdflatex: str, source: Path, timeout: float) -> str:
    command = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
               "-file-line-error", source.name]
    # Unwrapped log lines, so that a message is found whole.
    env = {**os.environ, "max_print_line": "10000"}
    try:
        run = subprocess.run(command, cwd=source.parent, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"pdflatex did not finish {source} within {timeout:g} s") from None
    log = read_log(source.with_suffix(".log"))
    if run.returncode or not source.with_suffix(".pdf").exists():
        raise AssertionError(f"pdflatex failed on {source}:\n{latex_errors(log)}")
    return log


def read_log(path: Path) -> str:
    """A TeX log as text (TeX writes the input's bytes as they are, not always valid UTF-8)."""
    return path.read_bytes().decode("utf-8", errors="replace") if path.exists() else ""


def latex_errors(log: str, after: int = 3) -> str:
    """The error lines of a TeX log (those starting with '!', or file:line: with -file-line-error), each
    with the lines after it; the log's end when there is none."""
    lines = log.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("!") or re.match(r"^\S+:\d+: ", line)]
    if not starts:
        return "\n".join(lines[-20:]) or "(no log)"
    kept = sorted({j for i in starts for j in range(i, min(i + after + 1, len(lines)))})
    return "\n".join(lines[j] for j in kept)


def latex_warnings(log: str) -> list[str]:
    """Every warning in a TeX log (LaTeX, class, package and font warnings, and missing characters)."""
    return re.findall(r"^(?:Missing character: |(?:LaTeX|LaTeX Font|Class \S+|Package \S+) Warning: ).*",
                      log, re.M)


def pdf_to_png(pdf: Path, folder: Path, dpi: int = 100) -> Path:
    """The first page of pdf as a PNG in folder, rendered by pdftoppm."""
    pdftoppm = require("pdftoppm")
    png = folder / f"{pdf.stem}.png"
    run = subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                          str(png.with_suffix(""))], stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=TIMEOUT)
    if run.returncode or not png.exists():
        raise AssertionError(f"pdftoppm could not render {pdf}:\n{run.stderr}")
    return png


# --- Chromium ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    """One message of a page's console: level is error, warning, info, log, debug, ..."""

    level: str
    text: str
    where: str


@dataclass(frozen=True)
class Box:
    """An element's border box after layout, in CSS pixels of the window (one pixel of the screenshot)."""

    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Page:
    """What Chromium showed for an HTML file: console messages, a screenshot and the boxes measured."""

    url: str
    messages: list[Message]
    screenshot: Path
    boxes: list[Box]

    @property
    def problems(self) -> list[Message]:
        """The errors and warnings among the messages."""
        return [m for m in self.messages if m.level in ("error", "warning")]


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--disable-dev-shm-usage", "--hide-scrollbars",
    "--mute-audio", "--no-default-browser-check",
    # A page that reaches for the network fails at once, with a console error, rather than
    # depending on it: the pages must be self-contained.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
]


def open_in_chromium(html: Path, folder: Path, selector: str = "math, svg",
                     window: tuple[int, int] = WINDOW, timeout: float = TIMEOUT) -> Page:
    """Open html in headless Chromium: its console messages up to the load event, a screenshot
    folder/<stem>.png of the window, and the box of every element matching selector. AssertionError
    when Chromium cannot open it, crashes, or takes longer than timeout seconds in all."""
    chromium = require("chromium")
    html = html.resolve()
    screenshot = folder / f"{html.stem}.png"
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile, \
            open(folder / f"{html.stem}.chromium.log", "wb") as stderr:
        command = [chromium, *CHROMIUM_FLAGS, f"--window-size={window[0]},{window[1]}",
                   f"--user-data-dir={profile}", "about:blank"]
        with _DevTools(command, stderr, timeout) as devtools:
            session = devtools.open_tab(window)
            devtools.navigate(session, html.as_uri())
            boxes = devtools.boxes(session, selector)
            png = devtools.send("Page.captureScreenshot", session, format="png")["data"]
            screenshot.write_bytes(base64.b64decode(png))
            devtools.send("Browser.close")
            messages = devtools.messages
    return Page(html.as_uri(), messages, screenshot, boxes)


class _DevTools:
    """Chromium driven over --remote-debugging-pipe: it reads JSON commands on its descriptor 3 and
    writes answers and events on its descriptor 4, each message ended by a NUL byte."""

    def __init__(self, command: list[str], stderr, timeout: float):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.log = Path(stderr.name)
        self.messages: list[Message] = []
        self.events: list[dict] = []
        self.buffer = b""
        self.last_id = 0
        to_child, self.to_browser = os.pipe()
        self.from_browser, from_child = os.pipe()

        def onto_3_and_4():
            # Copied above 10 first, so that moving them onto 3 and 4 cannot overwrite either.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child, from_child)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)
            for fd in high:
                os.close(fd)

        try:
            # A session of its own, so that a timeout can end Chromium with every process it started.
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                                            close_fds=False, start_new_session=True, preexec_fn=onto_3_and_4)
        finally:
            os.close(to_child)
            os.close(from_child)

    def __enter__(self) -> _DevTools:
        return self

    def __exit__(self, failure, *_) -> None:
        if failure:
            self._kill()
        os.close(self.to_browser)
        os.close(self.from_browser)
        try:
            self.process.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def open_tab(self, window: tuple[int, int]) -> str:
        """A new tab of the given size, its console followed; the id of its session."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session)
        self.send("Page.setLifecycleEventsEnabled", session, enabled=True)
        self.send("Emulation.setDeviceMetricsOverride", session, width=window[0], height=window[1],
                  deviceScaleFactor=1, mobile=False)
        return session

    def navigate(self, session: str, url: str) -> None:
        """Load url in the tab and wait for its load event."""
        answer = self.send("Page.navigate", session, url=url)
        if answer.get("errorText"):
            raise AssertionError(f"Chromium could not open {url}: {answer['errorText']}")
        self.wait_for("Page.lifecycleEvent", session, name="load", loaderId=answer["loaderId"])

    def boxes(self, session: str, selector: str) -> list[Box]:
        """The border box of every element matching selector, in document order (zero when not laid out)."""
        root = self.send("DOM.getDocument", session)["root"]["nodeId"]
        boxes = []
        for node in self.send("DOM.querySelectorAll", session, nodeId=root, selector=selector)["nodeIds"]:
            name = self.send("DOM.describeNode", session, nodeId=node)["node"]["localName"]
            try:
                quad = self.send("DOM.getBoxModel", session, nodeId=node)["model"]["border"]
            except _ProtocolError:
                boxes.append(Box(name, 0, 0, 0, 0))
                continue
            xs, ys = quad[0::2], quad[1::2]
            boxes.append(Box(name, min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
        return boxes

    def send(self, method: str, session: str | None = None, **params) -> dict:
        """Send one command and return its result, keeping the events that arrive meanwhile."""
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.to_browser, data):]
        while True:
            reply = self._receive(method)
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise _ProtocolError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})

    def wait_for(self, event: str, session: str, **match) -> dict:
        """The parameters of the first event of this name in the session whose parameters include match,
        waiting for it if need be."""
        while True:
            for seen in self.events:
                params = seen.get("params", {})
                if (seen["method"], seen.get("sessionId")) == (event, session) and \
                        match.items() <= params.items():
                    return params
            self._receive(event)

    def _receive(self, waiting_for: str) -> dict:
        while b"\0" not in self.buffer:
            left = max(0.0, self.deadline - time.monotonic())
            if not select.select([self.from_browser], [], [], left)[0]:
                self._kill()
                raise AssertionError(f"Chromium did not answer {waiting_for} within {self.timeout:g} s"
                                     f"{self._log_tail()}")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise AssertionError(f"Chromium closed its pipe while we waited for {waiting_for}"
                                     f"{self._log_tail()}")
            self.buffer += chunk
        text, self.buffer = self.buffer.split(b"\0", 1)
        message = json.loads(text)
        if "method" in message:
            self._event(message)
        return message

    def _event(self, event: dict) -> None:
        self.events.append(event)
        method, params = event["method"], event.get("params", {})
        if method.endswith("targetCrashed"):
            raise AssertionError(f"Chromium's page crashed{self._log_tail()}")
        message = "sessionId" in event and _console_message(method, params)
        if message:
            self.messages.append(message)

    def _kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)

    def _log_tail(self) -> str:
        lines = read_log(self.log).splitlines()[-10:]
        return ":\n" + "\n".join(lines) if lines else ""


class _ProtocolError(Exception):
    """Chromium answered a DevTools command with an error."""


def _console_message(method: str, params: dict) -> Message | None:
    """The console message an event carries: a console call, an uncaught exception, or the browser's own
    report (a failed load, a security or deprecation warning)."""
    if method == "Runtime.consoleAPICalled":
        level = {"assert": "error", "warning": "warning"}.get(params["type"], params["type"])
        text = " ".join(str(arg.get("value", arg.get("description", arg.get("type", ""))))
                        for arg in params.get("args", []))
        frames = params.get("stackTrace", {}).get("callFrames", [])
        where = f"{frames[0]['url']}:{frames[0]['lineNumber'] + 1}" if frames else ""
        return Message(level, text, where)
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        text = details.get("exception", {}).get("description") or details.get("text", "")
        return Message("error", text, f"{details.get('url', '')}:{details.get('lineNumber', 0) + 1}")
    if method == "Log.entryAdded":
        entry = params["entry"]
        where = entry.get("url", "") + (f":{entry['lineNumber'] + 1}" if "lineNumber" in entry else "")
        return Message(entry["level"], entry["text"], where)
    return None


# --- Pixels -----------------------------------------------------------------------------------------

def ink(png: Path, box: Box | tuple[float, float, float, float] | None = None) -> float:
    """The fraction of pixels in box (x, y, width, height; the whole image by default) whose colour
    differs from the image's background, its most common colour."""
    pixels = read_png(png)
    packed = pixels.reshape(-1, 3).astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], np.uint32)
    colours, counts = np.unique(packed, return_counts=True)
    common = int(colours[counts.argmax()])
    background = np.array([common >> 16, (common >> 8) & 255, common & 255])
    if box is not None:
        x, y, width, height = (box.x, box.y, box.width, box.height) if isinstance(box, Box) else box
        top, left = max(0, int(y)), max(0, int(x))
        pixels = pixels[top:int(np.ceil(y + height)), left:int(np.ceil(x + width))]
    if pixels.size == 0:
        return 0.0
    # A small tolerance, so that a rounding difference in the background is not ink.
    differs = (np.abs(pixels.astype(int) - background).max(axis=2) > 8)
    return float(differs.mean())


def blank(png: Path, box: Box | tuple[float, float, float, float] | None = None) -> bool:
    """Whether box (the whole image by default) shows nothing but the background."""
    return ink(png, box) == 0.0


CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type: grey, RGB, grey and alpha, RGBA


def read_png(path: Path) -> np.ndarray:
    """The pixels of an 8-bit, non-interlaced, non-palette PNG as a (height, width, 3) RGB array, any
    transparency laid over white."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    chunks, position, idat = {}, 8, []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IDAT":
            idat.append(body)
        else:
            chunks.setdefault(kind, body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced grey or RGB(A) PNGs are read here "
                         f"(depth {depth}, colour type {colour}, interlace {interlace})")
    channels = CHANNELS[colour]
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(height, width * channels + 1)
    rows = _unfilter(raw[:, 0], raw[:, 1:], channels)
    pixels = rows.reshape(height, width, channels).astype(np.float64)
    if channels in (2, 4):
        alpha = pixels[:, :, -1:] / 255
        pixels = pixels[:, :, :-1] * alpha + 255 * (1 - alpha)
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return np.rint(pixels).astype(np.uint8)


def _unfilter(filters: np.ndarray, rows: np.ndarray, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters (none, sub, up, average, Paeth); uint8 arithmetic wraps modulo 256."""
    out = np.zeros_like(rows)
    previous = np.zeros(rows.shape[1], np.uint8)
    for index, (kind, row) in enumerate(zip(filters, rows)):
        if kind == 0:
            line = row.copy()
        elif kind == 1:
            line = np.cumsum(row.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
        elif kind == 2:
            line = row + previous
        elif kind in (3, 4):
            line = _unfilter_slowly(kind, row.tolist(), previous.tolist(), bpp)
        else:
            raise ValueError(f"unknown PNG filter {kind}")
        out[index] = previous = line
    return out


def _unfilter_slowly(kind: int, row: list[int], up: list[int], bpp: int) -> np.ndarray:
    """Average and Paeth rows, byte by byte: each depends on the byte just decoded to its left."""
    line = [0] * len(row)
    for i, value in enumerate(row):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 3:
            line[i] = (value + (left + up[i]) // 2) & 255
            continue
        corner = up[i - bpp] if i >= bpp else 0
        guess = left + up[i] - corner
        pa, pb, pc = abs(guess - left), abs(guess - up[i]), abs(guess - corner)
        nearest = left if pa <= pb and pa <= pc else up[i] if pb <= pc else corner
        line[i] = (value + nearest) & 255
    return np.array(line, np.uint8)
