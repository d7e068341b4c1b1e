"""What every explorer shares: a figure drawn off-screen with Agg and shown as a PNG image widget.

Each explorer has a *view*: an object that owns one matplotlib Figure (no pyplot, so no global state and no
inline-backend double display) and whose `render(**state)` updates the figure's artists in place and returns a
`Frame` (the figure and the numbers it shows). The widget only wires controls to `render`: moving a control
renders a new frame, writes its PNG into an `ipywidgets.Image` and its numbers into an HTML line. Tests and
benchmarks drive `render` (or the controls themselves) without a browser.
"""

from __future__ import annotations

import html
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from threadpoolctl import ThreadpoolController

from bp_helpers.fonts import use_korean_font
from bp_helpers.i18n import _, label

if TYPE_CHECKING:
    from typing_extensions import TypeIs

use_korean_font()  # the explorers' figures carry Korean labels (한국어)

DPI = 80


def new_figure(width: float, height: float) -> Figure:
    """A Figure with its own Agg canvas (never registered with pyplot)."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout=None)
    FigureCanvasAgg(fig)
    return fig


def _encode(canvas) -> bytes:
    """The canvas's pixels as a PNG (the image travels once to the browser, so fast zlib beats small)."""
    return png_bytes(np.asarray(canvas.buffer_rgba())[..., :3])


def png_bytes(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB image (height, width, 3) as a PNG: each row unfiltered, zlib level 1.

    Written here rather than by Pillow, whose encoder tries a filter per row: a frame of an explorer encodes in
    about a third of Pillow's time (1.5 ms against 4.9 ms for 640 x 280) and comes out no larger, since the
    pictures are mostly flat colour.
    """
    height, width, _ = rgb.shape
    rows = np.empty((height, 1 + 3 * width), np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:] = rgb.reshape(height, -1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + \
        _chunk(b"IEND", b"")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def figure_png(fig: Figure) -> bytes:
    """The whole figure drawn afresh, as PNG bytes."""
    fig.canvas.draw()
    return _encode(fig.canvas)


class OneBlasThread:
    """A context manager: the block runs its matrix products on one BLAS thread; blocks may nest, and the last to
    leave restores BLAS's own setting. For the kernel's own thread (where controls are moved): OpenBLAS ignores a
    change of its thread count made from another thread once the first thread has made one, so the training
    dashboard's background thread is not limited.

    Why: the explorers' products are small (the dashboard's 3600-point grid through a few 64 x 64 layers, a
    training epoch on 140 points), where BLAS threads gain nothing; on a busy machine OpenBLAS's threads instead
    wait for a free core on every product (the grid through two hidden layers: 18.6 ms with its 2 threads against
    2.6 ms on one, at load 3.6 on 2 cores). Scoped to the explorers: the rest of the notebook keeps BLAS's threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._controller: ThreadpoolController | None = None
        self._limiter: Any = None

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                if self._controller is None:  # finds the loaded BLAS libraries once (a few ms)
                    self._controller = ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._depth += 1

    def __exit__(self, *_exc) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._limiter.restore_original_limits()
                self._limiter = None


one_blas_thread = OneBlasThread()


class View:
    """Owns one figure; the static part is drawn once and cached, the dynamic artists are redrawn each frame.

    A subclass builds its axes, calls `set_dynamic(artists)` (or `set_layers([[...], [...]])`) with the artists that
    change with the controls (lines, texts, images: updated in place with set_data / set_text), and `invalidate()`
    after changing anything static (axis limits, a new background). `png()` restores the cached background and
    draws only the dynamic artists (matplotlib's blitting), which keeps a redraw well under the 50 ms budget.

    Layers: when a view sets `layer_keys[i]` to a hashable description of what layer i shows (None: changes every
    frame), the bitmap after drawing layers 0..i is remembered under those keys, so a frame whose first layers did
    not change starts from that bitmap and redraws only the later layers (text-heavy layers are the slow ones).

    A layer may hold a whole Axes: what a menu changes (a surface's contours, an axis's limits and ticks) then is
    redrawn as that Axes alone, in matplotlib's own order, when the menu's key changes (or comes from the memo
    when it was shown before), instead of invalidating and redrawing the whole figure. The Axes's own animated
    artists are skipped when it draws (matplotlib's rule), so they go in a later layer.

    Composited layers (`set_layers(..., composited={i})`): layer i is drawn alone onto a transparent canvas, kept
    as an `Overlay` under its own key `layer_keys[i]` (not the keys before it; the last MEMO_SIZE are kept), and
    alpha-blended over the layers below it. A change below it (a highlight under many number labels) then does
    not redraw its texts. Its pixels must not depend on what lies under them (texts, patches: Agg blends each
    pixel on its own); they may differ from drawing in place by rounding (a level or two of 255 at the edges of
    glyphs).
    """

    MEMO_SIZE = 24

    def __init__(self, width: float, height: float):
        self.fig = new_figure(width, height)
        self._layers: list[list] = []
        self.layer_keys: list = []
        self._background = None
        self._memo: OrderedDict = OrderedDict()
        self._composited: frozenset[int] = frozenset()
        self._overlays: OrderedDict[tuple[int, Any], Overlay] = OrderedDict()  # by (layer, its key)

    def set_dynamic(self, artists) -> None:
        self.set_layers([list(artists)])

    def set_layers(self, layers, composited: Collection[int] = ()) -> None:
        for layer in self._layers:
            for artist in layer:
                artist.set_animated(False)
        self._layers = [list(layer) for layer in layers]
        self.layer_keys = [None] * len(self._layers)
        self._composited = frozenset(composited)
        for layer in self._layers:
            for artist in layer:
                artist.set_animated(True)
        self.invalidate()

    def invalidate(self) -> None:
        self._background = None
        self._memo.clear()
        self._overlays.clear()

    def png(self) -> bytes:
        canvas, fig = cast(FigureCanvasAgg, self.fig.canvas), self.fig  # the explorers' figures draw with Agg
        if self._background is None:
            canvas.draw()  # animated artists are skipped here: the cached background holds the static part only
            self._background = canvas.copy_from_bbox(fig.bbox)
        n = len(self._layers)
        keys = list(self.layer_keys) + [None] * (n - len(self.layer_keys))
        start, region = 0, self._background
        for j in range(n - 1, 0, -1):
            key = tuple(keys[:j])
            if None not in key and key in self._memo:
                start, region = j, self._memo[key]
                self._memo.move_to_end(key)
                break
        canvas.restore_region(region)
        for i in range(start, n):
            if i in self._composited:
                self._overlay(i, keys[i]).paint(np.asarray(canvas.buffer_rgba()))
            else:
                self._draw_layer(i)
            key = tuple(keys[: i + 1])
            if i < n - 1 and None not in key:
                self._memo[key] = canvas.copy_from_bbox(fig.bbox)
                while len(self._memo) > self.MEMO_SIZE:
                    self._memo.popitem(last=False)
        return _encode(canvas)

    def _draw_layer(self, i: int) -> None:
        for artist in self._layers[i]:
            if artist.get_visible():
                self.fig.draw_artist(artist)

    def _overlay(self, i: int, key) -> Overlay:
        """Layer i drawn alone on a transparent canvas; kept by its key (the last MEMO_SIZE), None: drawn each frame."""
        kept = self._overlays.get((i, key)) if key is not None else None
        if kept is not None:
            self._overlays.move_to_end((i, key))
            return kept
        canvas = cast(FigureCanvasAgg, self.fig.canvas)
        under = canvas.copy_from_bbox(self.fig.bbox)
        canvas.get_renderer().clear()  # transparent white: (255, 255, 255, 0)
        self._draw_layer(i)
        overlay = Overlay.of(np.asarray(canvas.buffer_rgba()))
        canvas.restore_region(under)
        if key is not None:
            self._overlays[(i, key)] = overlay
            while len(self._overlays) > self.MEMO_SIZE:
                self._overlays.popitem(last=False)
        return overlay


@dataclass(frozen=True)
class Overlay:
    """The pixels a composited layer covers: flat indices (n,), straight colours (n, 3) and alphas (n, 1) in 0..1."""

    index: np.ndarray
    color: np.ndarray
    alpha: np.ndarray

    @classmethod
    def of(cls, rgba: np.ndarray) -> Overlay:
        """From a canvas's RGBA buffer (height, width, 4), straight (not premultiplied) alpha as Agg draws it."""
        flat = rgba.reshape(-1, 4)
        index = np.flatnonzero(flat[:, 3])  # only the covered pixels: texts cover a small part of a figure
        covered = flat[index].astype(np.float32)
        return cls(index, covered[:, :3], covered[:, 3:] / 255.0)

    def paint(self, rgba: np.ndarray) -> None:
        """Blend over an opaque RGBA buffer (height, width, 4) in place: out = under + (colour - under) * alpha."""
        flat = rgba.reshape(-1, 4)
        under = flat[self.index, :3].astype(np.float32)
        flat[self.index, :3] = (under + (self.color - under) * self.alpha + 0.5).astype(np.uint8)


@dataclass
class Frame:
    """One rendered state of an explorer: its figure and the numbers printed beside it."""

    figure: Figure
    numbers: dict = field(default_factory=dict)
    view: View | None = None

    def png(self) -> bytes:
        return self.view.png() if self.view is not None else figure_png(self.figure)


def format_numbers(numbers: Mapping, keys: list[str] | None = None) -> str:
    """The numbers as one HTML line, `name = value` separated by middots (floats to 4 significant digits)."""
    parts = []
    for key in keys if keys is not None else list(numbers):
        value = numbers[key]
        if isinstance(value, float):
            text = f"{value:.4g}"
        elif isinstance(value, (list, tuple)) and all(isinstance(v, float) for v in value):
            text = "(" + ", ".join(f"{v:.4g}" for v in value) + ")"
        else:
            text = str(value)
        parts.append(f"<b>{html.escape(label(str(key)) or '')}</b> = {html.escape(text)}")
    return "<span style='font-family: monospace'>" + " &middot; ".join(parts) + "</span>"


class Explorer(widgets.VBox):
    """The container every explorer returns: controls on top, then the figure, then the numbers.

    Attributes tests use: `controls` (name -> widget), `image` (the PNG), `numbers_html`, `view`,
    `frame` (the last Frame), `renders` (how many frames were drawn).
    """

    def __init__(self, view, controls: Mapping[str, widgets.Widget], state: Callable[[], dict],
                 layout_rows: list[list[str]] | None = None, extra: list[widgets.Widget] | None = None,
                 title: str = "", number_keys: list[str] | None = None):
        self.view = view
        self.controls = dict(controls)
        self._state = state
        self._lock = threading.Lock()
        self.number_keys = number_keys
        self.image = figure_image()
        self.numbers_html = widgets.HTML()
        self.message = widgets.HTML()
        self.frame: Frame | None = None
        self.error: Exception | None = None
        self.renders = 0
        self.last_render_seconds = 0.0
        rows = layout_rows or [list(self.controls)]
        boxes = [widgets.HBox([self.controls[name] for name in row]) for row in rows]
        header = [header_html(title)] if title else []
        in_course_language(*self.controls.values(), *(extra or []))
        super().__init__(header + boxes + list(extra or []) + [self.image, self.numbers_html, self.message])
        for control in self.controls.values():
            if hasattr(control, "value"):
                control.observe(self._on_change, names="value")
        self.refresh()

    def _on_change(self, _change=None) -> None:
        self.refresh()

    def refresh(self) -> Frame | None:
        """Render the current control values and show the new frame.

        If a function passed in raises (a student's function not written yet, say), the widget says so under the
        last figure and `error` holds the exception; nothing is raised, so the notebook cell still runs.
        """
        with self._lock:
            start = time.perf_counter()
            try:
                with one_blas_thread:
                    frame = self.view.render(**self._state())
                png = frame.png()
            except Exception as err:
                self.error = err
                self.message.value = error_html(err)
                return None
            self.error = None
            self.message.value = ""
            self.frame = frame
            self.image.value = png
            self.image.layout.display = None  # shown from the first frame on
            self.numbers_html.value = format_numbers(frame.numbers, self.number_keys)
            self.renders += 1
            self.last_render_seconds = time.perf_counter() - start
            return frame


def explore_hint() -> str:
    """The line under every note: how to see the explorer drawn with the course's own functions."""
    return _("To see this explorer now, drawn with the course's reference functions, run "
             "<code>bpcourse explore</code> in a terminal.")


def figure_image() -> widgets.Image:
    """The image widget an explorer draws into, hidden until its first frame (an empty image shows as broken)."""
    return widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))


def _raised_in(err: BaseException) -> str | None:
    """The name of the function whose own code raised `err` (the last frame of its traceback)."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code if tb is not None else None
    if code is None:
        return None
    # "Value.__mul__" (3.11+); a function defined inside another is named by its own name
    return getattr(code, "co_qualname", code.co_name).rsplit(".<locals>.", 1)[-1]


def error_html(err: BaseException) -> str:
    """A short, red, worded note for an exception raised while drawing (usually by a student's function)."""
    if isinstance(err, NotImplementedError):
        name = _raised_in(err)
        detail = f" ({html.escape(str(err))})" if str(err) else ""
        if name and not name.startswith("<"):
            said = _("This explorer runs your <code>{name}</code>, which is not implemented yet{detail}: write "
                     "that function first, run its cell, then run this cell again.", name=html.escape(name),
                     detail=detail)
        else:
            said = _("This explorer runs a function that is not implemented yet{detail}: write that function "
                     "first, run its cell, then run this cell again.", detail=detail)
        return f"<span style='color:#b00'>{said}</span><br>{explore_hint()}"
    if isinstance(err, NameError):
        name = getattr(err, "name", None) or str(err)
        said = _("This explorer needs <code>{name}</code>, which is not defined yet: write it (or run the cells "
                 "above: Run &gt; Run All Above Selected Cell), then run this cell again.",
                 name=html.escape(str(name)))
        return f"<span style='color:#b00'>{said}</span><br>{explore_hint()}"
    said = _("the explorer could not draw this: {kind}: {error}", kind=html.escape(type(err).__name__),
             error=html.escape(str(err)))
    return f"<span style='color:#b00'>{said}</span>"


class Unfinished(widgets.HTML):
    """What an explorer cell shows in place of the explorer while functions it runs are not defined yet.

    Attributes: `missing`, the names to write (or whose cells to run) first.
    """

    def __init__(self, missing: list[str], exercise_hint: str = ""):
        self.missing = list(missing)
        names = ", ".join(f"<code>{html.escape(n)}</code>" for n in self.missing)
        if len(self.missing) == 1:
            said = _("<b>Write {names} first.</b> This explorer runs your own function, and {names} is not defined "
                     "yet{hint}: write it and run its cell, then run this cell again.", names=names, hint=exercise_hint)
        else:
            said = _("<b>Write {names} first.</b> This explorer runs your own functions, and {names} are not "
                     "defined yet{hint}: write them and run their cells, then run this cell again.", names=names,
                     hint=exercise_hint)
        super().__init__(f"<div style='border-left:3px solid #b00;padding:4px 8px'>{said}<br>{explore_hint()}</div>")


def missing_functions(functions: Mapping | None, overrides: Mapping, names: list[str]) -> list[str]:
    """Which of `names` neither `functions` (e.g. the notebook's `globals()`) nor the overrides define as callables."""
    merged = dict(functions or {})
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return [name for name in names if not callable(merged.get(name))]


def is_namespace(value: object) -> TypeIs[Mapping[str, Any]]:
    """Is `value` a notebook's namespace (`globals()`), rather than a function or a {label: function} mapping?"""
    return isinstance(value, Mapping) and "__builtins__" in value


def in_course_language(*controls: widgets.Widget) -> None:
    """Each control's label, button text and menu entries in the course's language (the `plots` catalog); the
    values stay the English keys the code reads (a menu's entries become (shown label, value) pairs). Boxes are
    walked: the buttons in a row are translated too."""
    for control in controls:
        description = getattr(control, "description", "")
        if isinstance(description, str) and description:
            control.description = label(description) or description
        options = getattr(control, "options", None)
        if options:
            pairs = [o if isinstance(o, tuple) else (str(o), o) for o in options]
            value = control.value
            control.options = [(label(shown) or shown, value_of) for shown, value_of in pairs]
            control.value = value
        in_course_language(*(getattr(control, "children", None) or ()))


def header_html(title: str) -> widgets.HTML:
    """An explorer's title line, in the course's language."""
    return widgets.HTML(f"<h4 style='margin:4px 0'>{html.escape(label(title) or title)}</h4>")


def slider(kind, description: str, width: str = "260px", **kwargs):
    """A slider with a readable label and a fixed width, updating while dragged."""
    return kind(description=description, continuous_update=True, style={"description_width": "initial"},
                layout=widgets.Layout(width=width), **kwargs)


def student_functions(given: object, names: list[str]) -> dict[str, Any] | Unfinished:
    """What an explorer was given, as {name: function or None}: from a notebook's `globals()` (an `Unfinished` note
    while one of `names` is not defined yet), or `given` itself as names[0] (None: the course's own). A mapping
    that is not a namespace is refused with a TypeError saying what to pass."""
    if is_namespace(given):
        return from_namespace(given, names)
    if isinstance(given, Mapping):
        raise TypeError(f"give your {names[0]} function, or the notebook's globals(), not a {type(given).__name__}")
    return {names[0]: given}


def from_namespace(namespace: Mapping[str, Any], names: list[str]) -> dict | Unfinished:
    """The named functions from a notebook's `globals()`, or an `Unfinished` note naming those not defined yet."""
    missing = missing_functions(namespace, {}, names)
    return Unfinished(missing) if missing else {name: namespace[name] for name in names}
