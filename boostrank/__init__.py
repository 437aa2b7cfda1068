"""boostrank: learning to rank with LambdaMART boosters, neural baselines and one evaluator.

Everything public is reachable from here, loaded lazily: ``import boostrank`` imports neither
torch, optuna, lightgbm nor xgboost. The neural estimators live in the ``neural`` package and
tuning in the ``tuning`` package.
"""

from __future__ import annotations

from .lazy import lazy_facade

__version__ = "0.1.0"

_PUBLIC = {
    # ingestion layer
    "RankingData": ".data.ranking_data:RankingData",
    "LibSVMFormatError": ".data.libsvm:LibSVMFormatError",
    "load_libsvm": ".data.libsvm:load_libsvm",
    "save_libsvm": ".data.libsvm:save_libsvm",
    "load_letor_fold": ".data.letor:load_letor_fold",
    "make_ranking": ".data.synthetic:make_ranking",
    "fetch_dataset": ".data.datasets:fetch_dataset",
    "DATASETS": ".data.datasets:DATASETS",
    # evaluator
    "evaluate": ".metrics:evaluate",
    "Convention": ".metrics:Convention",
    # estimator contract, validation, model files
    "BaseRanker": ".estimator:BaseRanker",
    "EarlyStopping": ".early_stopping:EarlyStopping",
    "ModelFileError": ".model_io:ModelFileError",
    "load_split": ".validation:load_split",
    "to_ranking_data": ".validation:to_ranking_data",
    # boosters
    "LightGBMLambdaMART": ".boosters.lightgbm_ranker:LightGBMLambdaMART",
    "XGBoostLambdaMART": ".boosters.xgboost_ranker:XGBoostLambdaMART",
    # model registry and head-to-head comparison
    "get_model_class": ".registry:get_model_class",
    "MODELS": ".registry:MODELS",
    "compare": ".comparison:compare",
}

__all__, __getattr__, __dir__ = lazy_facade(__name__, _PUBLIC, extra=["__version__"])
