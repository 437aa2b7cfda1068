"""Neural rankers under torchrun: 2 processes on 127.0.0.1 with the gloo backend.

torchrun starts the same script twice; each process fits a RankNet through the ordinary
``fit``, which notices the launch (`neural.distributed`) and trains with DDP on its half of the
queries. The test checks the processes ended with identical models, that the early-stopping
metric was the global one (all-reduced), that only rank 0 wrote the model file, and that the
model is as good as the single-process one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():  # pragma: no cover
    pytest.skip("this torch build has no torch.distributed", allow_module_level=True)

from boostrank.data import make_ranking  # noqa: E402
from boostrank.estimator import BaseRanker  # noqa: E402
from boostrank.metrics import evaluate  # noqa: E402
from neural import RankNet  # noqa: E402
from neural.distributed import (  # noqa: E402
    DistributedDataParallelStrategy,
    SingleProcess,
    launched_distributed,
)

PARAMS = dict(hidden_sizes=(32,), n_epochs=12, batch_size=16, learning_rate=3e-3,
              early_stopping_rounds=4, random_state=0, device="cpu", n_jobs=1, dropout=0.0)

SCRIPT = textwrap.dedent('''
    import json, os, sys
    import numpy as np
    import torch
    from boostrank.data import make_ranking
    from neural import RankNet

    out = sys.argv[1]
    params = json.loads(sys.argv[2])
    params["hidden_sizes"] = tuple(params["hidden_sizes"])
    data = make_ranking(300, (5, 30), 12, random_state=7)
    train, valid, test = data.queries(slice(0, 180)), data.queries(slice(180, 230)), \\
        data.queries(slice(230, 300))
    model = RankNet(**params).fit(train, eval_set=valid)
    rank = torch.distributed.get_rank()
    model.save(os.path.join(out, "model.zip"))  # the usual call, made on every rank
    model.save(os.path.join(out, f"model_from_rank{rank}.zip"))  # rank 1 must not write
    weights = torch.cat([p.detach().flatten() for p in model.model_.parameters()])
    with open(os.path.join(out, f"rank{rank}.json"), "w") as fh:
        json.dump({"rank": rank, "world": torch.distributed.get_world_size(),
                   "backend": torch.distributed.get_backend(),
                   "best_epoch": model.best_epoch_, "evals": model.evals_result_,
                   "best_score": model.best_score_, "n_epochs_run": model.n_epochs_run_,
                   "test_scores": model.predict(test.X).tolist(),
                   "weights_sum": float(weights.double().sum())}, fh)
''')


def _splits():
    data = make_ranking(300, (5, 30), 12, random_state=7)
    return data.queries(slice(0, 180)), data.queries(slice(180, 230)), data.queries(slice(230, 300))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_not_distributed_without_torchrun(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert not launched_distributed()
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert not launched_distributed()  # one process: plain training


def test_single_process_strategy_without_torchrun(monkeypatch):
    from neural.distributed import training_strategy

    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    strategy = training_strategy(torch.device("cpu"))
    assert type(strategy) is SingleProcess and strategy.is_main()
    data = make_ranking(5, (2, 6), 3, random_state=0)
    Z = data.X.astype(np.float32)
    parts = strategy.shard_training(Z, data.y, data.group_offsets, None)
    assert parts[0] is Z and parts[2] is data.group_offsets
    assert strategy.local_batch_size(32) == 32
    model = torch.nn.Linear(3, 1)
    assert strategy.wrap_model(model) is model
    target = strategy.eval_target("v", Z, data, "ndcg@10", "default")
    expected = evaluate(data.y, data.X[:, 0], data.qid)["ndcg@10"]
    assert target.evaluate(data.X[:, 0])["ndcg@10"] == pytest.approx(expected)
    assert not DistributedDataParallelStrategy(torch.device("cpu"), 1, 2).is_main()


def test_query_blocks_cover_every_query_once():
    data = make_ranking(41, (1, 50), 3, random_state=0)
    blocks = [DistributedDataParallelStrategy(torch.device("cpu"), r, 3).query_block(
        data.group_offsets)
              for r in range(3)]
    assert blocks[0][0] == 0 and blocks[-1][1] == data.n_queries
    assert all(a[1] == b[0] for a, b in zip(blocks[:-1], blocks[1:], strict=True))
    rows = [int(data.group_offsets[b] - data.group_offsets[a]) for a, b in blocks]
    assert max(rows) - min(rows) <= 2 * int(data.group_sizes.max())
    Z = np.arange(data.n_rows, dtype=np.float32)[:, None]
    ctx = DistributedDataParallelStrategy(torch.device("cpu"), 1, 3)
    part_Z, part_y, offsets, _ = ctx.shard_training(Z, data.y, data.group_offsets, None)
    a, b = blocks[1]
    assert offsets[0] == 0 and offsets[-1] == part_Z.shape[0] == part_y.shape[0]
    np.testing.assert_array_equal(np.diff(offsets), data.group_sizes[a:b])
    assert ctx.local_batch_size(32) == 11 and ctx.local_batch_size(2) == 1
    with pytest.raises(ValueError, match="at least 3 training queries"):
        ctx.shard_training(Z[:3], data.y[:3], np.array([0, 1, 3]), None)


@pytest.mark.slow
def test_torchrun_two_processes_gloo(tmp_path):
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1",
               "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
               str(script), str(out), json.dumps(PARAMS)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["rank"] for r in ranks] == [0, 1]
    assert all(r["world"] == 2 and r["backend"] == "gloo" for r in ranks)

    # the two processes ended with the same model and the same (global) metric history
    assert ranks[0]["weights_sum"] == ranks[1]["weights_sum"]
    assert ranks[0]["test_scores"] == ranks[1]["test_scores"]
    assert ranks[0]["evals"] == ranks[1]["evals"]
    assert ranks[0]["best_epoch"] == ranks[1]["best_epoch"] >= 1

    # only rank 0 saved; the file is the trained model
    assert not (out / "model_from_rank1.zip").exists()
    assert (out / "model_from_rank0.zip").is_file()
    model = BaseRanker.load(out / "model.zip")
    assert isinstance(model, RankNet)
    train, valid, test = _splits()
    np.testing.assert_allclose(model.predict(test.X), ranks[0]["test_scores"], rtol=1e-6,
                               atol=1e-6)

    # early stopping watched the global validation NDCG (all-reduced over both shards)
    global_ndcg = evaluate(valid.y, model.predict(valid.X), valid.qid)["ndcg@10"]
    best = ranks[0]["best_score"]["valid_0"]["ndcg@10"]
    assert best == pytest.approx(global_ndcg, abs=1e-6)

    # as good as one process with the same parameters
    single = RankNet(**PARAMS).fit(train, eval_set=valid)
    ddp_ndcg = evaluate(test.y, model.predict(test.X), test.qid)["ndcg@10"]
    single_ndcg = evaluate(test.y, single.predict(test.X), test.qid)["ndcg@10"]
    chance = evaluate(test.y, np.zeros(test.n_rows), test.qid)["ndcg@10"]
    assert ddp_ndcg > chance + 0.05
    print(f"test NDCG@10: torchrun 2 processes {ddp_ndcg:.4f}, one process {single_ndcg:.4f}, "
          f"constant scores {chance:.4f}")
    assert abs(ddp_ndcg - single_ndcg) <= 0.03, (ddp_ndcg, single_ndcg)
