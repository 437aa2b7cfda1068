"""Opening, joining and watching an Optuna study: creation is atomic, a joined study must
have been made for the same model, metric, convention and data, and each joining worker
samples from its own stream."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = ["IDENTITY_KEYS", "Progress", "open_study", "optuna_verbosity", "worker_seed"]

_STUDY_ATTR = "boostrank:study"
#: the identity entries a resumed study must share with the arguments of the call
IDENTITY_KEYS = ("model", "metric", "convention", "train", "valid", "cv")


def open_study(storage: Any, study_name: str | None, sampler: Any, pruner: Any,
               identity: dict[str, Any], metric_label: str) -> tuple[Any, bool]:
    """Create or load the study; check a loaded one matches ``identity``. -> (study, resumed).

    Creation is atomic in the storage (a unique study name), so of several workers started
    together exactly one gets ``resumed=False``; the others join its study. A new study is
    named after its objective (``metric_label``, shown by optuna-dashboard and the plots).
    """
    import optuna

    try:
        study = optuna.create_study(storage=storage, study_name=study_name, sampler=sampler,
                                    pruner=pruner, direction="maximize")
        created = True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(storage=storage, study_name=study_name, sampler=sampler,
                                  pruner=pruner)
        created = False
    if len(study.directions) != 1 or study.direction != optuna.study.StudyDirection.MAXIMIZE:
        raise ValueError(
            f"study {study.study_name!r} exists with direction {study.directions}; ranking "
            "metrics are maximised, use another study name"
        )
    if created:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names([metric_label])
        study.set_user_attr(_STUDY_ATTR, identity)
        return study, False
    _check_identity(study, identity)
    return study, True


def _check_identity(study: Any, identity: dict[str, Any]) -> None:
    stored = _wait_for_identity(study)
    if stored is None:
        n_existing = len(study.get_trials(deepcopy=False))
        raise ValueError(
            f"study {study.study_name!r} already exists"
            + (f" and holds {n_existing} trials" if n_existing else "")
            + " but boostrank did not make it; use another study name"
        )
    for key in IDENTITY_KEYS:
        if stored.get(key) != identity.get(key):
            raise ValueError(
                f"study {study.study_name!r} was created with {key}={stored.get(key)!r}, not "
                f"{identity.get(key)!r}; resume it with the same arguments or use another "
                "study name"
            )


def _wait_for_identity(study: Any, timeout: float = 10.0) -> dict[str, Any] | None:
    """The identity attribute of a study another worker may have created a moment ago."""
    deadline = time.monotonic() + timeout
    while True:
        stored = study.user_attrs.get(_STUDY_ATTR)
        if stored is not None or time.monotonic() >= deadline:
            return stored
        time.sleep(0.2)


def worker_seed(seed: int | None) -> int | None:
    """A sampler seed for a worker joining an existing study: ``seed`` mixed with a token
    unique to this process, so that workers started with the same arguments do not sample
    the same parameters (same seed, same random start-up trials)."""
    if seed is None:
        return None
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{int(seed)}:{token}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


@contextlib.contextmanager
def optuna_verbosity(verbose: int | None) -> Iterator[None]:
    """Optuna's log level for the duration of a call: None leaves it; 0 warnings only; 1 one
    INFO line per trial; 2 debug. The previous level is restored afterwards."""
    import optuna

    if verbose is None:
        yield
        return
    levels = {0: optuna.logging.WARNING, 1: optuna.logging.INFO, 2: optuna.logging.DEBUG}
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(levels[verbose])
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


class Progress:
    """tqdm bar over trials with the best value so far (an Optuna study callback)."""

    def __init__(self, total: int | None, metric: str) -> None:
        from tqdm.auto import tqdm

        self.metric = metric
        self.bar = tqdm(total=total, unit="trial", desc="tuning", dynamic_ncols=True)

    def __call__(self, study: Any, trial: Any) -> None:
        from optuna.trial import TrialState

        counts = {"pruned": 0, "failed": 0}
        for t in study.get_trials(deepcopy=False, states=(TrialState.PRUNED, TrialState.FAIL)):
            counts["pruned" if t.state == TrialState.PRUNED else "failed"] += 1
        postfix = {}
        try:
            postfix[f"best {self.metric}"] = f"{study.best_value:.5f}"
        except ValueError:
            postfix[f"best {self.metric}"] = "-"
        postfix.update({k: v for k, v in counts.items() if v})
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
