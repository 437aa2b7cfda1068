"""The ingestion layer: RankingData, LibSVM/LETOR reading and writing, datasets, generator.

Plain imports: these modules need only numpy and scipy.sparse, which `RankingData` (imported
by every user of the layer) loads anyway; ``import boostrank`` itself imports none of them.
"""

from __future__ import annotations

from .datasets import DATASETS, Dataset, fetch_dataset
from .errors import DataFormatError, LibSVMFormatError
from .letor import letor_folds, load_letor_fold, resolve_letor_fold
from .libsvm import load_libsvm, save_libsvm
from .ranking_data import RankingData
from .synthetic import make_ranking

__all__ = [
    "DATASETS", "DataFormatError", "Dataset", "LibSVMFormatError", "RankingData",
    "fetch_dataset", "letor_folds", "load_letor_fold", "load_libsvm", "make_ranking",
    "resolve_letor_fold", "save_libsvm",
]
