"""Explorer 6 (04_usage): a training dashboard that trains an MLP with YOUR forward, backward and update.

Pick a dataset, hidden units, learning rate and epochs, press Train: the decision boundary (결정 경계) and the
loss curves (train and validation) redraw while it trains, about ten times a second; Stop ends it at once.
Training runs in a background thread, so the notebook stays responsive and the Stop button is heard.

Nothing here implements a graded function: each epoch calls the `mlp_forward`, `softmax_cross_entropy_forward`,
`softmax_cross_entropy_backward`, `mlp_backward` and `sgd_step` passed in (full-batch gradient descent).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np

from bp_helpers.datasets import load, train_val_split
from bp_helpers.i18n import _
from bp_helpers.widgets._base import (
    Frame,
    Unfinished,
    View,
    error_html,
    figure_image,
    format_numbers,
    header_html,
    in_course_language,
    missing_functions,
    one_blas_thread,
    slider,
)

DATASETS = {
    "xor": ("xor", {}),
    "moons": ("moons", {}),
    "circles": ("circles", {}),
    "spirals (3 classes)": ("spirals", {"classes": 3}),
    "blobs (3 classes)": ("blobs", {"classes": 3}),
}
NEEDED = ["mlp_forward", "mlp_backward", "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
          "sgd_step"]
GRID = 60
REDRAW_SECONDS = 0.1  # at most ten redraws a second while training; the rest of the time trains
SPEEDS = {"watch: 100 epochs/s": 100, "fast: 1000 epochs/s": 1000, "full speed": 0}  # epochs per second, 0: no cap


def init_params(sizes: list[int], seed: int = 0) -> dict[str, np.ndarray]:
    """He-scaled Gaussian weights and zero biases for layer sizes [D, H1, ..., C] (not a graded function)."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False), start=1):
        params[f"W{i}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        params[f"b{i}"] = np.zeros(fan_out)
    return params


class TrainingRun:
    """The state the dashboard shows: data, parameters and loss history, advanced one epoch at a time."""

    def __init__(self, functions: Mapping[str, Callable], dataset: str = "moons", hidden: int = 16, layers: int = 1,
                 lr: float = 0.5, activation: str = "relu", seed: int = 0, n: int = 200):
        self.f = functions
        name, kwargs = DATASETS[dataset]
        X, y = load(name, n=n, seed=seed, **kwargs)
        self.X, self.y, self.Xv, self.yv = train_val_split(X, y, val_fraction=0.3, seed=seed)
        self.classes = int(y.max()) + 1
        self.params = init_params([2] + [int(hidden)] * int(layers) + [self.classes], seed)
        self.lr, self.activation, self.dataset = float(lr), activation, dataset
        self.epoch = 0
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []

    def scores(self, X: np.ndarray) -> np.ndarray:
        return self.f["mlp_forward"](X, self.params, activation=self.activation)[0]

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(self.f["softmax_cross_entropy_forward"](self.scores(X), y)[0])

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.argmax(self.scores(X), axis=1) == y))

    def step(self) -> float:
        """One epoch of full-batch gradient descent; returns the training loss before the update."""
        f = self.f
        scores, caches = f["mlp_forward"](self.X, self.params, activation=self.activation)
        loss, cache = f["softmax_cross_entropy_forward"](scores, self.y)
        grads = f["mlp_backward"](f["softmax_cross_entropy_backward"](cache), caches)
        updated = f["sgd_step"](self.params, grads, self.lr)
        if isinstance(updated, dict):  # sgd_step may update in place or return the new parameters
            self.params = updated
        self.epoch += 1
        self.train_loss.append(float(loss))
        self.val_loss.append(self.loss(self.Xv, self.yv))
        return float(loss)


class TrainingView(View):
    """`render(run, epochs)` -> Frame: decision boundary with the data, and the loss curves so far."""

    def __init__(self):
        super().__init__(8.0, 3.5)
        self.ax_b = self.fig.add_axes((0.05, 0.1, 0.4, 0.8))
        self.ax_l = self.fig.add_axes((0.56, 0.14, 0.41, 0.72))
        self.ax_l.set_yscale("log")
        self.ax_l.set_ylim(1e-3, 5.0)
        self.ax_l.set_xlabel("epoch (에포크)")
        self.loss_title = self.ax_l.set_title("", fontsize=10)
        (self.train_line,) = self.ax_l.plot([], [], color="tab:blue", label="train")
        (self.val_line,) = self.ax_l.plot([], [], color="tab:orange", label="validation")
        self.ax_l.legend(loc="upper right", fontsize=8, frameon=False)
        self.image = self.ax_b.imshow(np.zeros((GRID, GRID)), origin="lower", cmap="coolwarm", alpha=0.45,
                                      aspect="auto", interpolation="bilinear")
        self.points = self.ax_b.scatter([], [], c=[], s=10, cmap="coolwarm", edgecolors="k", linewidths=0.3)
        self.status = self.ax_b.set_title("", fontsize=10)
        # layers: 0, the data panel's frame and ticks (they follow the data's extent); 1, the loss panel's x-axis
        # (its ticks follow the epochs), composited over layer 0 from a transparent image kept by the epochs, so a
        # new dataset does not redraw it; 2, what training moves; 3, the loss panel's title (the settings), also
        # composited, kept by its words: training and a new number of epochs do not redraw it. A new run on the
        # same data keeps layers 0 and 1 (a setting changed redraws the picture, not the figure). The loss
        # panel's frame (spines) is drawn after its ticks, as matplotlib orders them.
        self.set_layers([[self.ax_b], [self.ax_l.xaxis, *self.ax_l.spines.values()],
                         [self.image, self.points, self.train_line, self.val_line, self.status], [self.loss_title]],
                        composited={1, 3})
        self._data_key = None
        self._epochs = None

    def _set_data(self, run: TrainingRun) -> None:
        X = np.vstack([run.X, run.Xv])
        y = np.concatenate([run.y, run.yv])
        pad = 0.25 * (X.max(axis=0) - X.min(axis=0))
        lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
        g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
        self.grid = np.column_stack([g0.ravel(), g1.ravel()])
        self.image.set_extent((lo[0], hi[0], lo[1], hi[1]))
        self.image.set_clim(0, run.classes - 1)
        self.points.set_offsets(X)
        self.points.set_array(y.astype(float))
        self.points.set_clim(0, run.classes - 1)
        self.ax_b.set_xlim(lo[0], hi[0])
        self.ax_b.set_ylim(lo[1], hi[1])

    def render(self, run: TrainingRun, epochs: int = 300) -> Frame:
        # the data themselves (not the run) decide the data panel: a new run on the same data keeps it
        key = (run.dataset, run.classes, hashlib.sha1(np.concatenate([run.X, run.Xv]).tobytes()).hexdigest(),
               hashlib.sha1(np.concatenate([run.y, run.yv]).tobytes()).hexdigest())
        if key != self._data_key:
            self._set_data(run)
            self._data_key = key
            self.layer_keys[0] = key
        if epochs != self._epochs:
            self.ax_l.set_xlim(0, max(int(epochs), 1))
            self._epochs = epochs
            self.layer_keys[1] = epochs
        scores = run.scores(self.grid)
        if run.classes == 2:  # shade by the probability of class 1 (a smooth picture of the boundary)
            shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
            shade = shifted[:, 1] / shifted.sum(axis=1)
        else:
            shade = np.argmax(scores, axis=1).astype(float)
        self.image.set_data(shade.reshape(GRID, GRID))
        xs = np.arange(1, len(run.train_loss) + 1)
        self.train_line.set_data(xs, run.train_loss)
        self.val_line.set_data(xs, run.val_loss)
        numbers: dict[str, float] = {"epoch": run.epoch}
        if run.train_loss:
            numbers.update({"train loss": run.train_loss[-1], "validation loss": run.val_loss[-1]})
        numbers.update({"train accuracy": run.accuracy(run.X, run.y),
                        "validation accuracy": run.accuracy(run.Xv, run.yv)})
        hidden = len(run.params) // 2 - 1
        self.loss_title.set_text(_("cross-entropy loss; {layers} × {width} {activation}, rate {rate:.3g}",
                                   layers=hidden, width=run.params["W1"].shape[1], activation=run.activation,
                                   rate=run.lr))
        self.layer_keys[3] = self.loss_title.get_text()
        self.status.set_text(_("epoch {epoch}: train accuracy {train:.0%}, validation {validation:.0%}",
                               epoch=run.epoch, train=numbers["train accuracy"],
                               validation=numbers["validation accuracy"]))
        return Frame(self.fig, numbers, self)


class TrainingDashboard(widgets.VBox):
    """The dashboard container; `start()`, `stop()`, `join()` and `train(blocking=True)` drive it from code."""

    def __init__(self, functions: Mapping[str, Callable]):
        self.functions = functions
        self.view = TrainingView()
        self.controls = {
            "dataset": widgets.Dropdown(options=list(DATASETS), value="moons", description="dataset",
                                        layout=widgets.Layout(width="240px")),
            "activation": widgets.Dropdown(options=["relu", "tanh", "sigmoid"], value="relu",
                                           description="activation", layout=widgets.Layout(width="200px")),
            "hidden": slider(widgets.IntSlider, "hidden units", min=2, max=64, value=16),
            "layers": slider(widgets.IntSlider, "hidden layers", min=1, max=3, value=1, width="200px"),
            "lr": slider(widgets.FloatLogSlider, "learning rate", base=10, min=-2, max=0.5, step=0.05, value=0.5,
                         readout_format=".3f"),
            "epochs": slider(widgets.IntSlider, "epochs", min=10, max=3000, step=10, value=300),
            # how fast to train: slow enough to watch by default (changing it does not restart the run)
            "speed": widgets.Dropdown(options=list(SPEEDS.items()), value=SPEEDS["watch: 100 epochs/s"],
                                      description="speed", style={"description_width": "initial"},
                                      layout=widgets.Layout(width="260px")),
        }
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.progress = widgets.IntProgress(min=0, max=300, value=0, description="epoch 0",
                                            style={"description_width": "initial"})
        self.image = figure_image()
        self.numbers_html = widgets.HTML()
        self.message = widgets.HTML()
        self.frame: Frame | None = None
        self.error: Exception | None = None
        self.renders = 0
        self.render_times: list[float] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        c = self.controls
        in_course_language(*c.values(), self.train_button, self.stop_button, self.progress)
        super().__init__([
            header_html("Training dashboard (학습): your forward and backward passes at work"),
            widgets.HBox([c["dataset"], c["activation"], c["layers"]]),
            widgets.HBox([c["hidden"], c["lr"], c["epochs"]]),
            widgets.HBox([self.train_button, self.stop_button, self.progress, c["speed"]]),
            self.image, self.numbers_html, self.message,
        ])
        self.train_button.on_click(lambda _b: self.start())
        self.stop_button.on_click(lambda _b: self.stop())
        for name in ("dataset", "activation", "hidden", "layers", "lr", "epochs"):
            c[name].observe(self._on_setting, names="value")
        self.reset()

    # --- state ---------------------------------------------------------------------------------------------
    def new_run(self) -> TrainingRun:
        c = self.controls
        return TrainingRun(self.functions, dataset=c["dataset"].value, hidden=c["hidden"].value,
                           layers=c["layers"].value, lr=c["lr"].value, activation=c["activation"].value)

    def reset(self) -> None:
        """A fresh, untrained network for the current settings, drawn (a raising function is shown, not raised)."""
        with self._lock:
            self.run = self.new_run()
            self.progress.max = self.controls["epochs"].value
            self.progress.value = 0
            self.progress.description = _("epoch {epoch}", epoch=0)
            try:
                with one_blas_thread:  # the kernel's thread (a setting moved); the training thread is not limited
                    self.redraw()
                self.error = None
                self.message.value = ""
            except Exception as err:
                self.error = err
                self.message.value = error_html(err)

    def _on_setting(self, _change=None) -> None:
        if self.training:
            self.stop()
            self.join()
        self.reset()

    def redraw(self) -> Frame:
        with self._lock:
            start = time.perf_counter()
            frame = self.view.render(self.run, self.controls["epochs"].value)
            self.image.value = frame.png()
            self.image.layout.display = None  # shown from the first frame on
            self.numbers_html.value = format_numbers(frame.numbers)
            self.frame = frame
            self.renders += 1
            self.render_times.append(time.perf_counter() - start)
            return frame

    # --- training --------------------------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self, epochs: int) -> None:
        last = 0.0
        paced_from, paced_epochs, speed = time.perf_counter(), 0, None
        try:
            for _epoch in range(epochs):
                if self._stop.is_set():
                    break
                with self._lock:
                    self.run.step()
                if self.controls["speed"].value != speed:  # the speed may change during the run
                    speed, paced_from, paced_epochs = self.controls["speed"].value, time.perf_counter(), 0
                paced_epochs += 1
                if speed:  # sleep (which also lets the kernel handle Stop) so as not to run ahead of the pace
                    ahead = paced_from + paced_epochs / speed - time.perf_counter()
                    if ahead > 0:
                        self._stop.wait(ahead)
                now = time.perf_counter()
                if now - last >= REDRAW_SECONDS:
                    last = now
                    self.progress.value = self.run.epoch
                    self.progress.description = _("epoch {epoch}", epoch=self.run.epoch)
                    self.redraw()
            self.message.value = (_("stopped at epoch {epoch}", epoch=self.run.epoch) if self._stop.is_set()
                                  else _("done"))
        except Exception as err:  # a student's function raised: show it instead of dying silently in a thread
            self.message.value = _("training stopped: ") + error_html(err)
            self.error = err
        finally:
            self.progress.value = self.run.epoch
            self.progress.description = _("epoch {epoch}", epoch=self.run.epoch)
            with contextlib.suppress(Exception):  # the error, if any, is shown above
                self.redraw()
            self.train_button.disabled = False
            self.stop_button.disabled = True

    def start(self) -> None:
        """Train from a fresh network in a background thread (what the Train button does)."""
        if self.training:
            return
        self.reset()
        if self.error is not None:
            return  # the untrained network cannot even be drawn: the message says why
        self._stop.clear()
        self.train_button.disabled = True
        self.stop_button.disabled = False
        self.message.value = "training ..."
        self._thread = threading.Thread(target=self._loop, args=(self.controls["epochs"].value,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the training thread to stop after the current epoch (what the Stop button does)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def train(self, blocking: bool = True) -> None:
        """Start training; with blocking=True wait until it ends."""
        self.start()
        if blocking:
            self.join()


def training_dashboard(functions: Mapping | None = None,
                       **implementations: Callable) -> TrainingDashboard | Unfinished:
    """Dataset, hidden units, learning rate, epochs; Train and Stop; boundary and losses update while training.

    Args:
        functions: where to find your implementations, usually the notebook's `globals()`; it needs mlp_forward,
            mlp_backward, softmax_cross_entropy_forward, softmax_cross_entropy_backward and sgd_step.
        **implementations: the same functions by name, overriding `functions`.
    Returns:
        an ipywidgets container; while some of those functions are not defined, a note saying which to write first.
    """
    missing = missing_functions(functions, implementations, NEEDED)
    if missing:
        return Unfinished(missing)
    merged = {**dict(functions or {}), **{k: v for k, v in implementations.items() if v is not None}}
    return TrainingDashboard({name: merged[name] for name in NEEDED})
