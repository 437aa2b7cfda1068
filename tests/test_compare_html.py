"""The HTML report renders in a real browser: headless Chromium takes a screenshot of it.

Skips with a message when Chromium is not installed; under ``BOOSTRANK_CI=1`` (set by
``.ci/run``, which installs the Debian ``chromium``) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from boostrank.comparison import compare
from boostrank.data import make_ranking

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if path is None:
        message = "Chromium not installed (apt-get install chromium): HTML screenshot test"
        if os.environ.get("BOOSTRANK_CI", "") not in ("", "0"):
            pytest.fail(message + " cannot run, and BOOSTRANK_CI=1 requires it")
        pytest.skip(message + " skipped")
    return path


@pytest.fixture(scope="module")
def report(browser, tmp_path_factory):
    train = make_ranking(50, (4, 16), 8, random_state=21)
    valid = make_ranking(15, (4, 16), 8, random_state=22)
    test = make_ranking(30, (4, 16), 8, random_state=23)
    result = compare(["lightgbm", "xgboost"], train, valid, test,
                     params={"lightgbm": {"n_estimators": 20, "num_leaves": 7, "n_jobs": 1},
                             "xgboost": {"n_estimators": 20, "max_depth": 3, "n_jobs": 1}},
                     progress=False, n_resamples=500)
    out = tmp_path_factory.mktemp("html")
    result.save(out, formats=("html",))
    return out / "report.html"


def test_html_renders_in_headless_chromium(browser, report, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
               "--window-size=1280,2400", report.resolve().as_uri()]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    image = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)
    assert image.shape == (2400, 1280, 3)
    dark = (image.sum(axis=2) < 200)
    # text in the heading band at the top, tables and plots below: a rendered page, not blank
    assert dark[:120].mean() > 0.002
    assert dark.mean() > 0.005
    # the plots are inlined PNGs: colour (the blue/orange model lines) appears on the page
    spread = image.max(axis=2) - image.min(axis=2)
    assert (spread > 80).mean() > 0.001
    # nothing overflows to the right of the centred 1180 px content column (scrollbar aside)
    assert (image[:, 1232:1262] < 200).sum() == 0
