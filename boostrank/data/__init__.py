"""The ingestion layer: RankingData, LibSVM/LETOR reading and writing, datasets, generator."""

from __future__ import annotations

from .._lazy import lazy_getattr

_PUBLIC = {
    "RankingData": ".ranking_data:RankingData",
    "DataFormatError": ".errors:DataFormatError",
    "LibSVMFormatError": ".errors:LibSVMFormatError",
    "load_libsvm": ".libsvm:load_libsvm",
    "save_libsvm": ".libsvm:save_libsvm",
    "load_letor_fold": ".letor:load_letor_fold",
    "letor_folds": ".letor:letor_folds",
    "resolve_letor_fold": ".letor:resolve_letor_fold",
    "make_ranking": ".synthetic:make_ranking",
    "fetch_dataset": ".datasets:fetch_dataset",
    "DATASETS": ".datasets:DATASETS",
    "Dataset": ".datasets:Dataset",
}

__all__ = sorted(_PUBLIC)
__getattr__ = lazy_getattr(__name__, _PUBLIC)


def __dir__() -> list[str]:
    return __all__
