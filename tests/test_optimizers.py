"""Optimizers against an independent reference: the published update rules (torch.optim.SGD, RMSprop,
Adagrad, Adam, AdamW as PyTorch documents them, and the classical momentum form v <- mu v - lr g,
p <- p + v, Nesterov p <- p + mu v - lr g) written here in NumPy, on a forward pass of our own whose
gradients autograd takes. Nothing here shares code with the engine: a problem is written as YAML text
and only the tool's reported numbers are read back.
"""

from __future__ import annotations

import copy
import json

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from backprop_cli import loads, solve
from backprop_cli.errors import ProblemError

OPTIMIZERS = [
    None, {"name": "sgd"}, {"name": "sgd", "weight_decay": 0.05},  # None: no optimizer, gradient descent
    {"name": "sgd", "momentum": 0.9}, {"name": "sgd", "momentum": 0.9, "nesterov": True},
    {"name": "sgd", "momentum": 0.8, "dampening": 0.3},
    {"name": "sgd", "momentum": 0.5, "weight_decay": 0.1, "nesterov": True},
    {"name": "sgd", "momentum": 0.9, "form": "classical"},
    {"name": "sgd", "momentum": 0.9, "form": "classical", "nesterov": True},
    {"name": "sgd", "momentum": 0.6, "form": "classical", "weight_decay": 0.1},
    {"name": "rmsprop"}, {"name": "rmsprop", "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1},
    {"name": "adagrad"}, {"name": "adagrad", "eps": 1e-6, "weight_decay": 0.1},
    {"name": "adam"}, {"name": "adam", "betas": [0.8, 0.95], "eps": 1e-6, "weight_decay": 0.1},
    {"name": "adam", "bias_correction": False},
    {"name": "adam", "eps_inside": True, "eps": 1e-4},
    {"name": "adam", "bias_correction": False, "eps_inside": True, "eps": 1e-3},
    {"name": "adamw"}, {"name": "adamw", "weight_decay": 0.2, "betas": [0.85, 0.99], "eps_inside": True},
    {"name": "adamw", "weight_decay": 0},
]
IDS = ["gd" if o is None else "-".join(f"{v}" if k == "name" else f"{k}={v}" for k, v in o.items())
       for o in OPTIMIZERS]


# --- the update rules ------------------------------------------------------------------------------

def update(opt, p, g, state, t, lr):
    """One step of the optimizer on one parameter array; state (a dict) is updated in place."""
    opt = {"name": "gd"} if opt is None else opt
    name = opt["name"]
    decay = opt.get("weight_decay", 0.01 if name == "adamw" else 0.0)
    if name == "adamw":
        p = p - lr * decay * p  # decoupled
    elif decay:
        g = g + decay * p  # coupled: an L2 term in the gradient
    if name == "gd":
        return p - lr * g
    if name == "sgd":
        mu, tau, nesterov = opt.get("momentum", 0.0), opt.get("dampening", 0.0), opt.get("nesterov", False)
        if mu == 0:
            return p - lr * g
        if opt.get("form", "pytorch") == "classical":
            v = mu * state.get("v", 0.0) - lr * g
            state["v"] = v
            return p + mu * v - lr * g if nesterov else p + v
        b = g if t == 1 else mu * state["v"] + (1 - tau) * g
        state["v"] = b
        return p - lr * (g + mu * b) if nesterov else p - lr * b
    if name == "rmsprop":
        alpha, eps = opt.get("alpha", 0.99), opt.get("eps", 1e-8)
        s = alpha * state.get("s", 0.0) + (1 - alpha) * g ** 2
        state["s"] = s
        return p - lr * g / (np.sqrt(s) + eps)
    if name == "adagrad":
        s = state.get("s", 0.0) + g ** 2
        state["s"] = s
        return p - lr * g / (np.sqrt(s) + opt.get("eps", 1e-10))
    beta1, beta2 = opt.get("betas", [0.9, 0.999])
    eps = opt.get("eps", 1e-8)
    m = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0.0) + (1 - beta2) * g ** 2
    if opt.get("bias_correction", True):
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        m_hat, v_hat = m, v
    state.update(m=m, v=v, m_hat=m_hat, v_hat=v_hat)
    denominator = np.sqrt(v_hat + eps) if opt.get("eps_inside", False) else np.sqrt(v_hat) + eps
    return p - lr * m_hat / denominator


def train(loss, params, trainable, opt, lr, steps):
    """Full-batch training by the rules above: the loss before each step, the parameters after the first
    step and after the last, the loss after the last, and the state after the first step."""
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    gradient = grad(loss)
    state = {k: {} for k in trainable}
    history, first, first_state = [], None, None
    for t in range(1, steps + 1):
        history.append(float(loss(params)))
        g = gradient(params)
        for k in trainable:
            params[k] = update(opt, params[k], g[k], state[k], t, lr)
        if t == 1:
            first, first_state = dict(params), copy.deepcopy(state)
    return params, history, float(loss(params)), first, first_state


def close(actual, expected):
    expected = np.asarray(expected, dtype=float)
    floor = 1e-14 * float(np.max(np.abs(expected), initial=0.0)) + 1e-300
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12, atol=floor)


def close_run(result, history, final_loss, first_state):
    """The losses before each step and after the last, and every array of the state after step 1."""
    close(result.history, history)
    close(result.final_loss, final_loss)
    for key, arrays in first_state.items():
        for name, value in arrays.items():
            close(result.moments[1][key][name], value)


def yaml_opt(opt):
    return "" if opt is None else f"  optimizer: {json.dumps(opt)}\n"


# --- random layered networks ---------------------------------------------------------------------

def random_net(seed):
    """2-3 sigmoid/tanh layers, one or two samples; odd seeds freeze the first layer's bias, seeds that are
    multiples of 3 make W1[0, 0] the shared parameter S."""
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(1, 4, size=int(rng.integers(3, 5)))]
    samples = int(rng.integers(1, 3))
    net = {"acts": [str(a) for a in rng.choice(["sigmoid", "tanh"], size=len(sizes) - 1)],
           "W": [rng.normal(0, 1, (o, i)) for i, o in zip(sizes, sizes[1:])],
           "b": [rng.normal(0, 0.5, o) for o in sizes[1:]],
           "x": rng.normal(0, 1, (samples, sizes[0])), "y": rng.uniform(0.1, 0.9, (samples, sizes[-1])),
           "frozen": seed % 2 == 1, "shared": 0.3 if seed % 3 == 0 else None,
           "lr": [0.05, 0.5, 0.01, 0.2][seed % 4]}
    if net["shared"] is not None:
        net["W"][0][0, 0] = 0.0  # the own value where the shared parameter is used
    return net


def layered_yaml(net, opt, steps):
    layers = []
    for l, (act, w, b) in enumerate(zip(net["acts"], net["W"], net["b"])):
        weights = w.tolist()
        if l == 0 and net["shared"] is not None:
            weights[0][0] = "S"
        frozen = ", frozen: [bias]" if l == 0 and net["frozen"] else ""
        layers.append(f"    - {{units: {len(b)}, activation: {act}, weights: {json.dumps(weights)}, "
                      f"bias: {json.dumps(b.tolist())}{frozen}}}\n")
    shared = "" if net["shared"] is None else f"parameters: {{S: {net['shared']}}}\n"
    return (f"{shared}network:\n  inputs: {net['x'].shape[1]}\n  layers:\n{''.join(layers)}"
            f"input: {json.dumps(net['x'].tolist())}\ntarget: {json.dumps(net['y'].tolist())}\n"
            f"loss: {{kind: squared_error, factor: 1/2}}\n"
            f"train:\n  learning_rate: {net['lr']}\n  steps: {steps}\n{yaml_opt(opt)}")


def used_first_weights(net, params):
    w = params[("W", 1)]
    if net["shared"] is None:
        return w
    mask = np.ones(w.shape)
    mask[0, 0] = 0.0
    return w * mask + (1.0 - mask) * params[("shared",)][0]


def layered_loss(net):
    def loss(params):
        a = net["x"]
        for l, act in enumerate(net["acts"], 1):
            w = used_first_weights(net, params) if l == 1 else params[("W", l)]
            z = anp.dot(a, anp.transpose(w)) + params[("b", l)]
            a = 1.0 / (1.0 + anp.exp(-z)) if act == "sigmoid" else anp.tanh(z)
        return 0.5 * anp.sum((a - net["y"]) ** 2)
    return loss


def layered_reference(net, opt, steps):
    params = {}
    for l, (w, b) in enumerate(zip(net["W"], net["b"]), 1):
        params[("W", l)], params[("b", l)] = w, b
    if net["shared"] is not None:
        params[("shared",)] = np.array([net["shared"]])
    trainable = [k for k in params if not (k == ("b", 1) and net["frozen"])]
    return train(layered_loss(net), params, trainable, opt, net["lr"], steps)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("opt", OPTIMIZERS, ids=IDS)
def test_layered_training_follows_the_rules(opt, seed):
    net = random_net(seed)
    for steps in (1, 2, 5):
        result = solve(loads(layered_yaml(net, opt, steps)))
        final, history, final_loss, first, first_state = layered_reference(net, opt, steps)
        for i in range(len(net["W"])):
            close(result.final.weights[i], final[("W", i + 1)])
            close(result.final.biases[i], final[("b", i + 1)])
        if net["shared"] is not None:
            close(result.final.shared, final[("shared",)])
        close(result.layers[0].weights.updated, used_first_weights(net, first))
        close_run(result, history, final_loss, first_state)


# --- a computation graph ---------------------------------------------------------------------------

GRAPH = """graph:
  inputs: {x: [0.5, -1.0, 2.0]}
  params: {W: [[0.1, -0.2, 0.3], [0.4, 0.05, -0.6]], c: [0.1, -0.2], u: 0.7, k: {value: 0.4, frozen: true}}
  nodes:
    h: tanh(W @ x + c)
    y: sigmoid(u * sum(h) + k)
  output: y
target: 0.3
loss: {kind: squared_error, factor: 1/2}
"""
GRAPH_START = {"W": [[0.1, -0.2, 0.3], [0.4, 0.05, -0.6]], "c": [0.1, -0.2], "u": 0.7, "k": 0.4}


def graph_loss(params):
    h = anp.tanh(anp.dot(params["W"], np.array([0.5, -1.0, 2.0])) + params["c"])
    y = 1.0 / (1.0 + anp.exp(-(params["u"] * anp.sum(h) + params["k"])))
    return 0.5 * (y - 0.3) ** 2


@pytest.mark.parametrize("lr", [0.05, 0.3])
@pytest.mark.parametrize("opt", OPTIMIZERS, ids=IDS)
def test_graph_training_follows_the_rules(opt, lr):
    for steps in (1, 2, 5):
        text = GRAPH + f"train:\n  learning_rate: {lr}\n  steps: {steps}\n{yaml_opt(opt)}"
        result = solve(loads(text))
        final, history, final_loss, _, first_state = train(graph_loss, GRAPH_START, ["W", "c", "u"], opt, lr, steps)
        for name, value in final.items():
            close(result.final[name], value)
        assert float(result.final["k"]) == 0.4  # frozen
        close_run(result, history, final_loss, first_state)


# --- the two momentum forms ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_forms_agree_without_dampening(seed, nesterov):
    """With dampening 0, b_1 = g_1 = -v_1/lr and b_t = mu b + g maps to v_t = mu v - lr g, so b = -v/lr
    at every step and p - lr b = p + v, p - lr (g + mu b) = p + mu v - lr g: the same parameters."""
    net = random_net(seed)
    runs = {}
    for form in ("pytorch", "classical"):
        opt = {"name": "sgd", "momentum": 0.85, "nesterov": nesterov, "form": form}
        runs[form] = solve(loads(layered_yaml(net, opt, 5)))
    for a, b in zip(runs["pytorch"].final.weights + runs["pytorch"].final.biases,
                    runs["classical"].final.weights + runs["classical"].final.biases):
        close(a, b)
    for key, arrays in runs["pytorch"].moments[1].items():
        close(runs["classical"].moments[1][key]["v"], -net["lr"] * arrays["v"])


@pytest.mark.parametrize("seed", range(4))
def test_momentum_forms_differ_with_dampening(seed):
    """PyTorch's first step ignores dampening (b_1 = g_1), so one step agrees with the classical form;
    from the second on, (1 - dampening) g shrinks PyTorch's steps and the two part."""
    net = random_net(seed)

    def weights(form, dampening, steps):
        opt = {"name": "sgd", "momentum": 0.9, "dampening": dampening, "form": form}
        final = solve(loads(layered_yaml(net, opt, steps))).final
        return np.concatenate([w.ravel() for w in final.weights])

    close(weights("pytorch", 0.5, 1), weights("classical", 0, 1))
    close(weights("pytorch", 0.5, 1), weights("pytorch", 0, 1))
    damped, classical = weights("pytorch", 0.5, 3), weights("classical", 0, 3)
    assert np.max(np.abs(damped - classical)) > 1e-6 * np.max(np.abs(classical))


# --- frozen parameters, names, refusals ------------------------------------------------------------

@pytest.mark.parametrize("opt", OPTIMIZERS[1:], ids=IDS[1:])
def test_frozen_parameters_never_move(opt):
    text = f"""parameters: {{S: {{value: 0.3, frozen: true}}}}
network:
  inputs: 2
  layers:
    - {{units: 2, activation: tanh, weights: [[S, 0.2], [-0.4, 0.6]], bias: [0.25, -0.5], frozen: [bias]}}
    - {{units: 1, activation: sigmoid, weights: [[0.7, -0.3]], bias: 0.1}}
input: [[0.5, 1.0], [-1.0, 0.3]]
target: [[0.2], [0.9]]
loss: {{kind: squared_error, factor: 1/2}}
train:
  learning_rate: 0.2
  steps: 4
{yaml_opt(opt)}"""
    result = solve(loads(text))
    assert result.final.biases[0].tolist() == [0.25, -0.5]
    assert result.layers[0].bias.updated.tolist() == [0.25, -0.5]
    assert result.final.shared.tolist() == [0.3]
    assert result.layers[0].weights.updated[0, 0] == 0.3
    assert not np.allclose(result.final.weights[1], [[0.7, -0.3]])  # the rest did train


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad", "adam", "adamw"])
def test_a_bare_name_is_the_defaults(name):
    net = random_net(4)
    short = solve(loads(layered_yaml(net, None, 3).replace("  steps: 3\n", f"  steps: 3\n  optimizer: {name}\n")))
    final = layered_reference(net, {"name": name}, 3)[0]
    for i in range(len(net["W"])):
        close(short.final.weights[i], final[("W", i + 1)])


REFUSED = [
    ("adm", "did you mean 'adam'"), ("{name: adam, betas: [0.9]}", "betas"),
    ("{name: adam, betas: [0.9, 1.0]}", "betas"), ("{name: sgd, momentum: 1.5}", "momentum"),
    ("{name: sgd, momentum: -0.1}", "momentum"), ("{name: sgd, nesterov: true}", "nesterov"),
    ("{name: sgd, momentum: 0.9, form: sideways}", "form"), ("{name: adam, alpha: 0.9}", "alpha"),
    ("{name: rmsprop, alpha: 1.5}", "alpha"), ("{name: adam, eps: -1}", "eps"),
    ("{name: adagrad, weight_decay: -1}", "weight_decay"),
    ("{name: adamw, bias_correction: maybe}", "bias_correction"), ("{momentum: 0.9}", "name"),
    ("{name: sgd, momentum: 0.7, dampening: 0.2, nesterov: true}", "dampening"),
    ("{name: sgd, dampening: 0.5}", "dampening"), ("{name: sgd, form: classical}", "form"),
    ("{name: sgd, momentum: 0.9, form: classical, dampening: 0.5}", "dampening"),
]


@pytest.mark.parametrize("setting, words", REFUSED, ids=[s for s, _ in REFUSED])
def test_bad_settings_are_refused_at_their_place(setting, words):
    text = f"""network:
  inputs: 1
  layers:
    - {{units: 1, activation: sigmoid, weights: [[0.1]], bias: 0.1}}
input: [0.5]
target: [0.2]
loss: squared_error
train:
  learning_rate: 0.1
  optimizer: {setting}
"""
    with pytest.raises(ProblemError) as caught:
        solve(loads(text, filename="bad.yaml"))
    message = str(caught.value)
    assert message.startswith("bad.yaml:10:"), message
    assert int(message.split(":")[2]) >= 14, message  # at or inside the optimizer's value
    assert "train.optimizer" in message and words in message, message
