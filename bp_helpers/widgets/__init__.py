"""Eight explorers for the notebooks: each returns an ipywidgets container (display it as a cell's last line).

| explorer | notebook | needs your functions |
|---|---|---|
| `signal_flow_explorer()` | 01_term | optional `propagate_back` |
| `neuron_explorer()` | 02_definition | optional activations |
| `loss_explorer()` | 02_definition | optional `mse_forward`, `binary_cross_entropy_forward` |
| `gradient_descent_explorer()` | 03_purpose | optional `gradient_descent` |
| `computational_graph_explorer(globals())` | 04_usage | dense, activation and MSE forward/backward |
| `value_graph_explorer(out, topological_order)` | 04e | explorer 5 on your `Value` graph; `topological_order` |
| `training_dashboard(globals())` | 04_usage | mlp_forward/backward, softmax cross-entropy, sgd_step |
| `cost_comparison_explorer(methods)` | 05_comparison | one gradient function per method |
| `gradient_flow_explorer(layer_gradient_norms)` | 04_usage | the notebook's gradient-norm measurement |

The notebooks pass `globals()` to every explorer, which takes the student's functions from there by name: an
explorer cell run before those exist (after "Run All" stopped early, or on its own) shows an `Unfinished` note
naming the function to write first and `bpcourse explore` (the explorers with the course's reference
functions), never a NameError; a function that still raises NotImplementedError is named in the explorer's
message, and no figure (nor a broken-image icon) shows until one can be drawn.

Figures are drawn off-screen (Agg) and shown as PNG images, so the explorers work in JupyterLab, Notebook 7 and
Voila without a matplotlib widget backend. Every explorer's view has a pure `render(**state)` returning a Frame
(figure + numbers) that tests drive without a browser. Nothing here implements a graded function: explorers that
need forward/backward passes take them as arguments.
"""

from bp_helpers.widgets.cost import cost_comparison_explorer
from bp_helpers.widgets.descent import gradient_descent_explorer
from bp_helpers.widgets.gradient_flow import gradient_flow_explorer
from bp_helpers.widgets.graph import computational_graph_explorer, value_graph_explorer
from bp_helpers.widgets.loss import loss_explorer
from bp_helpers.widgets.neuron import neuron_explorer
from bp_helpers.widgets.signal_flow import signal_flow_explorer
from bp_helpers.widgets.training import training_dashboard

__all__ = [
    "signal_flow_explorer",
    "neuron_explorer",
    "loss_explorer",
    "gradient_descent_explorer",
    "computational_graph_explorer",
    "value_graph_explorer",
    "training_dashboard",
    "cost_comparison_explorer",
    "gradient_flow_explorer",
]
