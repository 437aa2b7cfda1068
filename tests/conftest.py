"""Shared test fixtures: where the real data lives, and skipping cleanly without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BOOSTRANK_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
MQ2008_ROOT = SHARED_DATA / "MQ2008"
SAMPLE_DIR = REPO_ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def mq2008_root() -> Path:
    """The LETOR 4.0 MQ2008 folder (five folds); the test skips when it is absent."""
    if not (MQ2008_ROOT / "Fold1" / "train.txt").is_file():
        pytest.skip(f"MQ2008 not found at {MQ2008_ROOT} (set BOOSTRANK_SHARED_DATA to its parent)")
    return MQ2008_ROOT


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The bundled generated sample (data/sample/{train,vali,test}.txt)."""
    return SAMPLE_DIR
