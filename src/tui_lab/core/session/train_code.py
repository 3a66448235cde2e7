"""One training run as the course's code (d2l 3.2 from scratch, 3.3 concise), with its settings and seed.

The code draws the initial weights and each epoch's shuffle exactly as the Train pane's runner
does (``torch.Generator().manual_seed(seed)`` for both), works on the same minibatches in the
same order and applies the same updates, so on the CPU it reproduces the run's learned ``w``
and ``b``. The manual-gradient implementation is written with autograd (same updates, same
numbers up to float rounding). Every value comes from the config as a ``repr()`` literal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_lab.core.train.config import TrainConfig

ADAM = "beta1, beta2, eps = 0.9, 0.999, 1e-8"


def _data_lines(c: TrainConfig) -> list[str]:
    if c.data == "synthetic":
        return [
            "# The course's synthetic data: y = Xw + b + noise, seeded",
            f"true_w = torch.tensor({list(c.true_w)!r}, dtype=torch.float32)",
            f"true_b = {c.true_b!r}",
            f"gen = torch.Generator().manual_seed({c.data_seed!r})",
            f"features = torch.normal(0.0, 1.0, ({c.n!r}, len(true_w)), generator=gen)",
            "labels = torch.mv(features, true_w) + true_b",
            *([f"labels += torch.normal(0.0, {c.noise!r}, labels.shape, generator=gen)"] if c.noise > 0 else []),
        ]
    if c.data == "workspace":
        return [
            f"features = {c.x_name}.detach().to('cpu', torch.float32)",
            "features = features.unsqueeze(1) if features.dim() == 1 else features",
            f"labels = {c.y_name}.detach().to('cpu', torch.float32).reshape(-1)",
        ]
    return [
        "# The course's CSV preprocessing (2.2): the target as y, the rest mean-filled and one-hot encoded",
        f"frame = pd.read_csv({c.csv_path!r})",
        f"labels = torch.tensor(frame[{c.target!r}].to_numpy(dtype='float32'))",
        f"inputs = frame.drop(columns=[{c.target!r}])",
        "numeric = inputs.select_dtypes(include='number').columns",
        "inputs[numeric] = inputs[numeric].fillna(inputs[numeric].mean())",
        "inputs = pd.get_dummies(inputs, dummy_na=True, dtype=float)",
        "inputs = inputs.loc[:, inputs.notna().all()]",
        "features = torch.tensor(inputs.to_numpy(dtype='float32'))",
    ]


def _init_lines(c: TrainConfig) -> list[str]:
    draw = (
        f"w0 = torch.normal(0.0, {c.init_std!r}, (d,), generator=torch.Generator().manual_seed({c.seed!r}))"
        if c.init_std > 0
        else "w0 = torch.zeros(d)"
    )
    return ["n, d = features.shape", draw]


def _loop(c: TrainConfig, body: list[str], report: str) -> list[str]:
    return [
        f"lr, batch_size, num_epochs = {c.lr!r}, {c.batch_size!r}, {c.epochs!r}",
        f"shuffle = torch.Generator().manual_seed({c.seed!r})",
        "for epoch in range(num_epochs):",
        "    perm = torch.randperm(n, generator=shuffle)",
        "    X_shuffled, y_shuffled = features.index_select(0, perm), labels.index_select(0, perm)",
        "    for start in range(0, n, batch_size):",
        "        X_batch = X_shuffled[start:start + batch_size]",
        "        y_batch = y_shuffled[start:start + batch_size]",
        *("        " + line for line in body),
        "    with torch.no_grad():",
        f"        print(f'epoch {{epoch + 1}}, loss {{{report}:f}}')",
    ]


def _scratch(c: TrainConfig, run_id: int) -> list[str]:
    loss = (
        "l = (y_hat - y_batch.reshape(y_hat.shape)) ** 2 / 2"
        if c.loss == "mse"
        else "e = (y_hat - y_batch.reshape(y_hat.shape)).abs()\n"
        f"l = torch.where(e <= {c.huber_delta!r}, e**2 / 2, {c.huber_delta!r} * (e - {c.huber_delta!r} / 2))"
    )
    body = ["y_hat = torch.matmul(X_batch, w) + b", *loss.splitlines(), "l.sum().backward()", "size = X_batch.shape[0]"]
    if c.optimizer == "sgd":
        body += [
            "with torch.no_grad():",
            "    for param in (w, b):",
            "        param -= lr * param.grad / size",
            "        param.grad.zero_()",
        ]
    else:
        body += ["grads = [w.grad / size, b.grad / size]", "step += 1", "with torch.no_grad():"]
        if c.optimizer == "momentum":
            body += [
                "    for p, g, m in zip((w, b), grads, velocity):",
                f"        m.mul_({c.momentum!r}).add_(g)",
                "        p.sub_(m, alpha=lr)",
            ]
        else:
            body += [
                "    for p, g, m, v in zip((w, b), grads, velocity, second):",
                "        m.lerp_(g, 1 - beta1)",
                "        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)",
                "        denom = (v / (1 - beta2**step)).sqrt_().add_(eps)",
                "        p.addcdiv_(m, denom, value=-lr / (1 - beta1**step))",
            ]
        body += ["w.grad.zero_()", "b.grad.zero_()"]
    full = (
        "F.mse_loss(torch.matmul(features, w).reshape(-1) + b, labels)"
        if c.loss == "mse"
        else (f"F.huber_loss(torch.matmul(features, w).reshape(-1) + b, labels, delta={c.huber_delta!r})")
    )
    setup = [
        "w = w0.reshape(d, 1).clone().requires_grad_(True)",
        "b = torch.zeros(1, requires_grad=True)",
    ]
    if c.optimizer != "sgd":
        setup += [
            "velocity = [torch.zeros_like(w), torch.zeros_like(b)]",
            "second = [torch.zeros_like(w), torch.zeros_like(b)]",
        ]
        setup += ["step = 0", ADAM]
    end = [f"w_run{run_id} = w.detach().reshape(-1).clone()", f"b_run{run_id} = float(b.detach()[0])"]
    return setup + _loop(c, body, f"float({full})") + end


def _concise(c: TrainConfig, run_id: int) -> list[str]:
    loss = "nn.MSELoss()" if c.loss == "mse" else f"nn.HuberLoss(delta={c.huber_delta!r})"
    opt = {
        "sgd": "torch.optim.SGD(net.parameters(), lr=lr)",
        "momentum": f"torch.optim.SGD(net.parameters(), lr=lr, momentum={c.momentum!r})",
        "adam": "torch.optim.Adam(net.parameters(), lr=lr)",
    }[c.optimizer]
    setup = [
        "net = nn.Sequential(nn.Linear(d, 1))",
        "with torch.no_grad():",
        "    net[0].weight.copy_(w0.view(1, d))",
        "    net[0].bias.zero_()",
        f"loss = {loss}",
        f"lr = {c.lr!r}",
        f"trainer = {opt}",
    ]
    body = [
        "l = loss(net(X_batch).view(-1), y_batch)",
        "trainer.zero_grad(set_to_none=False)",
        "l.backward()",
        "trainer.step()",
    ]
    end = [
        f"w_run{run_id} = net[0].weight.detach().reshape(-1).clone()",
        f"b_run{run_id} = float(net[0].bias.detach()[0])",
    ]
    return setup + _loop(c, body, "float(loss(net(features).view(-1), labels))") + end


def _closed(run_id: int) -> list[str]:
    return [
        "# The closed form: least squares on [X, 1] in float64",
        "X1 = torch.cat([features.double(), torch.ones(n, 1, dtype=torch.float64)], dim=1)",
        "theta = torch.linalg.lstsq(X1, labels.double().unsqueeze(1), driver='gelsd').solution[:, 0].float()",
        f"w_run{run_id}, b_run{run_id} = theta[:-1].clone(), float(theta[-1])",
    ]


def run_code(config: TrainConfig, run_id: int) -> str:
    """The code of one run; it leaves ``w_run<id>`` (a tensor) and ``b_run<id>`` (a float) behind."""
    lines = [f"# Run {run_id}: {config.impl} implementation"]
    if config.impl == "manual":
        lines.append("# (the pane computes this gradient by hand; autograd gives the same updates)")
    lines += _data_lines(config) + _init_lines(config)
    if config.impl == "closed":
        lines += _closed(run_id)
    elif config.impl == "concise":
        lines += _concise(config, run_id)
    else:
        lines += _scratch(config, run_id)
    lines.append(f"print('w =', w_run{run_id}.tolist(), 'b =', b_run{run_id})")
    return "\n".join(lines)
