#!/usr/bin/env python3
"""Reference trajectories of torch.optim (and optax for AdaBelief) in float64.

Run through scripts/gen_optim_refs.sh, which makes the virtualenv. Writes one
JSON file (the path given as the first argument) that tests/optim_refs.rs
reads; cargo never runs this script.

Problems (the Rust test recomputes the closed-loop gradients with the same
formulas, written in the same order of operations):
  rosenbrock: f = (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1), closed loop:
              gx = -2 (1 - x) - 400 x (y - x x), gy = 200 (y - x x)
  quadratic:  f = sum a_i x_i^2 / 2, a = (10, 1, 0.1), from (1, -1, 2),
              closed loop: g_i = a_i x_i
  sparse:     an open-loop sequence of sparse, sign-flipping gradients of
              widely different magnitudes (stored in the JSON), fed directly.

Each optimiser configuration runs STEPS steps on each problem; the JSON keeps
every iterate. Learning-rate schedules are recorded both alone (the lr
sequence) and composed with optimisers (scheduler.step() after every
optimizer.step(), so step k uses the lr after k scheduler steps).
"""
import json
import math
import sys

import torch

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

STEPS = 250
torch.set_default_dtype(torch.float64)


def rosen_grad(x):
    x0, x1 = x
    return [-2.0 * (1.0 - x0) - 400.0 * x0 * (x1 - x0 * x0), 200.0 * (x1 - x0 * x0)]


QUAD_A = [10.0, 1.0, 0.1]


def quad_grad(x):
    return [a * xi for a, xi in zip(QUAD_A, x)]


def sparse_sequence(n=5, steps=STEPS):
    """Sparse, sign-flipping gradients: component i fires when
    (3 k + 7 i) mod 5 == 0 or k mod (i + 2) == 0 with probability-free
    rules, with magnitudes 10^(i - 2) (1 + k mod 3), and each component's
    sign flips every time it fires."""
    seq = []
    fired = [0] * n
    for k in range(steps):
        g = [0.0] * n
        for i in range(n):
            if (3 * k + 7 * i) % 5 == 0 or (k % (i + 2) == 0 and k % 4 == 1):
                sign = 1.0 if fired[i] % 2 == 0 else -1.0
                fired[i] += 1
                g[i] = sign * 10.0 ** (i - 2) * (1 + k % 3)
        seq.append(g)
    return seq


SPARSE = sparse_sequence()

PROBLEMS = {
    "rosenbrock": {"x0": [-1.2, 1.0], "lr_scale": 1.0},
    "quadratic": {"x0": [1.0, -1.0, 2.0], "lr_scale": 10.0},
    "sparse": {"x0": [0.5, -0.3, 1.0, 0.0, 2.0], "lr_scale": 10.0, "grads": SPARSE},
}

# (name, kind, params); "sgd_lr" marks learning rates scaled per problem.
CONFIGS = [
    ("sgd", "sgd", {"lr": 1e-3, "scaled": True}),
    ("sgd_momentum", "sgd", {"lr": 1e-3, "scaled": True, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3}),
    ("sgd_heavy_ball", "sgd", {"lr": 1e-3, "scaled": True, "momentum": 0.9}),
    ("sgd_nesterov", "sgd", {"lr": 1e-3, "scaled": True, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("adagrad", "adagrad", {"lr": 0.1}),
    ("adagrad_options", "adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-10, "weight_decay": 1e-3}),
    ("rmsprop", "rmsprop", {"lr": 1e-2}),
    ("rmsprop_centered_momentum", "rmsprop", {"lr": 2e-4, "alpha": 0.9, "eps": 1e-6, "centered": True, "momentum": 0.5, "weight_decay": 1e-3}),
    ("rmsprop_momentum", "rmsprop", {"lr": 1e-3, "momentum": 0.9}),
    ("adam", "adam", {"lr": 1e-2}),
    ("amsgrad", "adam", {"lr": 1e-2, "amsgrad": True, "betas": [0.8, 0.99]}),
    ("adam_l2", "adam", {"lr": 1e-2, "weight_decay": 0.1}),
    ("adamw", "adamw", {"lr": 1e-2, "weight_decay": 0.1}),
    ("adamw_amsgrad", "adamw", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True, "eps": 1e-6}),
    ("adabelief", "adabelief", {"lr": 1e-2}),
    ("adabelief_nesterov", "adabelief", {"lr": 1e-2, "nesterov": True, "eps": 1e-12, "eps_root": 1e-14, "betas": [0.8, 0.99]}),
    ("sgd_momentum_steplr", "sgd", {"lr": 1e-3, "scaled": True, "momentum": 0.9, "schedule": {"kind": "step", "step_size": 50, "gamma": 0.5}}),
    ("adam_cosine", "adam", {"lr": 1e-2, "schedule": {"kind": "cosine", "t_max": 100, "eta_min": 1e-4}}),
    ("rmsprop_exponential", "rmsprop", {"lr": 1e-2, "schedule": {"kind": "exponential", "gamma": 0.99}}),
    ("sgd_nesterov_cyclic", "sgd", {"lr": 1e-3, "scaled": True, "momentum": 0.9, "nesterov": True, "schedule": {"kind": "cyclic", "base_lr": 1e-4, "step_size": 25}}),
    ("adabelief_step", "adabelief", {"lr": 1e-2, "schedule": {"kind": "step", "step_size": 40, "gamma": 0.7}}),
]


def make_torch(kind, p, param, lr):
    if kind == "sgd":
        return torch.optim.SGD([param], lr=lr, momentum=p.get("momentum", 0.0), dampening=p.get("dampening", 0.0),
                               nesterov=p.get("nesterov", False), weight_decay=p.get("weight_decay", 0.0),
                               foreach=False)
    if kind == "adagrad":
        return torch.optim.Adagrad([param], lr=lr, lr_decay=p.get("lr_decay", 0.0),
                                   initial_accumulator_value=p.get("initial_accumulator_value", 0.0),
                                   eps=p.get("eps", 1e-10), weight_decay=p.get("weight_decay", 0.0), foreach=False)
    if kind == "rmsprop":
        return torch.optim.RMSprop([param], lr=lr, alpha=p.get("alpha", 0.99), eps=p.get("eps", 1e-8),
                                   weight_decay=p.get("weight_decay", 0.0), momentum=p.get("momentum", 0.0),
                                   centered=p.get("centered", False), foreach=False)
    if kind in ("adam", "adamw"):
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        wd_default = 0.0 if kind == "adam" else 1e-2
        return cls([param], lr=lr, betas=tuple(p.get("betas", [0.9, 0.999])), eps=p.get("eps", 1e-8),
                   weight_decay=p.get("weight_decay", wd_default), amsgrad=p.get("amsgrad", False), foreach=False)
    raise ValueError(kind)


def make_scheduler(opt, s, lr):
    if s is None:
        return None
    k = s["kind"]
    if k == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=s["step_size"], gamma=s["gamma"])
    if k == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=s["gamma"])
    if k == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s["t_max"], eta_min=s["eta_min"])
    if k == "cyclic":
        return torch.optim.lr_scheduler.CyclicLR(opt, base_lr=s["base_lr"], max_lr=lr, step_size_up=s["step_size"],
                                                 mode="triangular", cycle_momentum=False)
    raise ValueError(k)


def grad_for(problem, k, x):
    if problem == "rosenbrock":
        return rosen_grad(x)
    if problem == "quadratic":
        return quad_grad(x)
    return PROBLEMS["sparse"]["grads"][k]


def run_torch(problem, kind, p, lr):
    param = torch.tensor(PROBLEMS[problem]["x0"], dtype=torch.float64)
    opt = make_torch(kind, p, param, lr)
    sched = make_scheduler(opt, p.get("schedule"), lr)
    xs, lrs = [], []
    for k in range(STEPS):
        x = param.tolist()
        param.grad = torch.tensor(grad_for(problem, k, x), dtype=torch.float64)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
        xs.append(param.tolist())
    return xs, lrs


def run_optax(problem, p, lr):
    s = p.get("schedule")
    if s is None:
        lr_arg = lr
    elif s["kind"] == "step":
        # optax counts updates from 0, like the Rust step count. Not
        # optax.exponential_decay: it evaluates the schedule in float32 (the
        # step count is an int32), which would make this a float32 reference.
        step_size, gamma = s["step_size"], s["gamma"]

        def lr_arg(count):
            n = jnp.floor_divide(count, step_size).astype(jnp.float64)
            return lr * jnp.power(jnp.float64(gamma), n)
    else:
        raise ValueError(s)
    b1, b2 = p.get("betas", [0.9, 0.999])
    opt = optax.adabelief(lr_arg, b1=b1, b2=b2, eps=p.get("eps", 1e-16), eps_root=p.get("eps_root", 1e-16),
                          nesterov=p.get("nesterov", False))
    params = jnp.asarray(PROBLEMS[problem]["x0"], dtype=jnp.float64)
    state = opt.init(params)
    xs, lrs = [], []
    for k in range(STEPS):
        x = [float(v) for v in params]
        g = jnp.asarray(grad_for(problem, k, x), dtype=jnp.float64)
        lrs.append(float(lr_arg(k)) if callable(lr_arg) else lr_arg)
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        xs.append([float(v) for v in params])
    return xs, lrs


def schedules_alone():
    out = []
    n = 300
    specs = [
        ("step", {"lr0": 0.1, "step_size": 30, "gamma": 0.5}),
        ("exponential", {"lr0": 0.1, "gamma": 0.97}),
        ("cosine", {"lr0": 0.1, "t_max": 50, "eta_min": 0.001}),
        ("cyclic", {"base_lr": 0.001, "max_lr": 0.1, "step_size": 20}),
    ]
    for kind, s in specs:
        lr0 = s.get("lr0", s.get("max_lr"))
        param = torch.zeros(1)
        opt = torch.optim.SGD([param], lr=lr0)
        sched = make_scheduler(opt, dict(s, kind=kind), lr0)
        lrs = []
        for _ in range(n):
            lrs.append(opt.param_groups[0]["lr"])
            param.grad = torch.zeros(1)
            opt.step()
            sched.step()
        out.append({"kind": kind, "params": s, "lrs": lrs})
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/optim_refs.json"
    runs = []
    for problem, spec in PROBLEMS.items():
        for name, kind, p in CONFIGS:
            lr = p["lr"] * (spec["lr_scale"] if p.get("scaled") else 1.0)
            if kind == "adabelief":
                xs, lrs = run_optax(problem, p, lr)
                source = f"optax {optax.__version__} (jax {jax.__version__})"
            else:
                xs, lrs = run_torch(problem, kind, p, lr)
                source = f"torch {torch.__version__}"
            if not all(math.isfinite(v) for x in xs for v in x):
                raise SystemExit(f"{name} on {problem} diverged: pick another learning rate")
            params = {k: v for k, v in p.items() if k != "scaled"}
            params["lr"] = lr
            runs.append({"problem": problem, "name": name, "kind": kind, "params": params, "source": source,
                         "x0": spec["x0"], "lrs": lrs, "xs": xs})
    data = {
        "generator": "scripts/gen_optim_refs.py",
        "torch": torch.__version__,
        "optax": optax.__version__,
        "jax": jax.__version__,
        "steps": STEPS,
        "quadratic_a": QUAD_A,
        "sparse_grads": SPARSE,
        "runs": runs,
        "schedules": schedules_alone(),
    }
    with open(path, "w") as f:
        json.dump(data, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(runs)} trajectories of {STEPS} steps to {path}")


if __name__ == "__main__":
    main()
