"""The registry of public learning-to-rank datasets (`DATASETS`) and their description."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Dataset", "DATASETS", "SPLITS", "get_dataset"]

#: the three partitions of a LETOR fold
SPLITS = ("train", "vali", "test")


@dataclass(frozen=True)
class Dataset:
    """One public learning-to-rank dataset.

    Attributes
    ----------
    name : canonical name (the key in `DATASETS`, also the folder `fetch_dataset` creates).
    description : what it is, in one or two sentences.
    homepage : the publisher's page (licence, citation, current download links).
    url : the official download location of the archive.
    filename : the archive's file name (also what a base-URL mirror must serve).
    archive_format : ``"rar"``, ``"zip"`` or ``"tar.gz"`` as published.
    root : folder inside the archive that holds the fold tree (``""`` = the archive's top).
    folds : number of folds; ``layout`` says whether they are ``FoldN/`` folders.
    layout : ``"folds"`` (``FoldN/{train,vali,test}.txt``) or ``"flat"``
        (``{train,vali,test}.txt`` in ``root``, a single split counted as fold 1).
    n_queries, n_rows, n_features : size of the whole dataset (all partitions once).
    labels : (lowest, highest) graded relevance label.
    size : archive size in bytes where published, else None.
    sha256 : archive SHA-256 where published, else None (never guessed).
    checksum_source : who published ``size``/``sha256``.
    license, citation : terms of use and the paper to cite.
    aliases : other accepted spellings of ``name`` (matching ignores case, ``-`` and ``_``).
    """

    name: str
    description: str
    homepage: str
    url: str
    filename: str
    archive_format: str
    root: str
    folds: int
    layout: str
    n_queries: int
    n_rows: int
    n_features: int
    labels: tuple[int, int]
    size: int | None = None
    sha256: str | None = None
    checksum_source: str | None = None
    license: str = ""
    citation: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def files(self) -> tuple[str, ...]:
        """Relative paths (under the LETOR root) of every split file of every fold."""
        if self.layout == "flat":
            return tuple(f"{s}.txt" for s in SPLITS)
        return tuple(f"Fold{k}/{s}.txt" for k in range(1, self.folds + 1) for s in SPLITS)

    @property
    def archive_needs_external_tool(self) -> bool:
        """True for RAR archives, which need ``unrar``/``7z``/``bsdtar``/``unar`` to unpack."""
        return self.archive_format == "rar"


_LETOR4_HOME = ("https://www.microsoft.com/en-us/research/project/"
                "letor-learning-rank-information-retrieval/letor-4-0/")
_LETOR4_DATA = "http://research.microsoft.com/en-us/um/beijing/projects/letor/LETOR4.0/Data/"
_LETOR4_CITE = ("Tao Qin and Tie-Yan Liu. Introducing LETOR 4.0 Datasets. "
                "arXiv:1306.2597, 2013.")
_MSLR_HOME = "https://www.microsoft.com/en-us/research/project/mslr/"
_MSLR_SHARES = "https://api.onedrive.com/v1.0/shares/{}/root/content"
_TFDS = "TensorFlow Datasets checksums (tensorflow_datasets/ranking/*/checksums.tsv)"


def _letor4(name: str, year: int, n_queries: int, n_rows: int) -> Dataset:
    """A LETOR 4.0 Million Query set (published as RAR, no published checksum)."""
    return Dataset(
        name=name, homepage=_LETOR4_HOME, url=f"{_LETOR4_DATA}{name}.rar",
        description=(f"LETOR 4.0 supervised ranking set on the TREC {year} Million Query "
                     "track (Gov2 pages): 5 folds, 46 features, labels 0-2."),
        filename=f"{name}.rar", archive_format="rar", root=name, folds=5, layout="folds",
        n_queries=n_queries, n_rows=n_rows, n_features=46, labels=(0, 2),
        license="Free for research use; see the LETOR 4.0 page.", citation=_LETOR4_CITE,
        aliases=(f"letor4-{name.lower()}",),
    )


def _mslr(name: str, description: str, share: str, counts: tuple[int, int],
          archive: tuple[int, str], aliases: tuple[str, ...]) -> Dataset:
    """An MSLR-WEB set: ``counts`` = (queries, rows), ``archive`` = (size, sha256)."""
    return Dataset(
        name=name, description=description, homepage=_MSLR_HOME,
        url=_MSLR_SHARES.format(share), filename=f"{name}.zip", archive_format="zip",
        root="", folds=5, layout="folds", n_queries=counts[0], n_rows=counts[1],
        n_features=136, labels=(0, 4), size=archive[0], sha256=archive[1],
        checksum_source=_TFDS, citation=_LETOR4_CITE, aliases=aliases,
        license="Microsoft Research Data License Agreement (see the homepage).",
    )


_ISTELLA_S = Dataset(
    name="Istella-S",
    description=("Istella LETOR sample (Istella web search engine): one train/vali/test "
                 "split (60/20/20 of queries), 220 features, labels 0-4. Non-commercial "
                 "licence that must be accepted."),
    homepage="https://istella.ai/datasets/letor-dataset/",
    url="http://library.istella.it/dataset/istella-s-letor.tar.gz",
    filename="istella-s-letor.tar.gz", archive_format="tar.gz", root="sample", folds=1,
    layout="flat", n_queries=33018, n_rows=3408630, n_features=220, labels=(0, 4),
    size=472129615, sha256="41b21116a3650cc043dbe16f02ee39f4467f9405b37fdbcc9a6a05e230a38981",
    checksum_source=_TFDS,
    license=("Istella LETOR Licence Agreement, non-commercial use only "
             "(istella-letor-LA.txt in the archive)."),
    citation=("Domenico Dato, Claudio Lucchese, Franco Maria Nardini, Salvatore Orlando, "
              "Raffaele Perego, Nicola Tonellotto and Rossano Venturini. Fast Ranking with "
              "Additive Ensembles of Oblivious and Non-Oblivious Regression Trees. ACM TOIS "
              "35(2), 2016."),
    aliases=("istella_s", "istellas", "istella-s-letor"),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        _letor4("MQ2007", 2007, 1692, 69623),
        _letor4("MQ2008", 2008, 784, 15211),
        _mslr("MSLR-WEB10K", "Microsoft Learning to Rank, 10,000-query sample of MSLR-WEB30K "
              "(Bing): 5 folds, 136 features, labels 0-4.", "s!AtsMfWUz5l8nbOIoJ6Ks0bEMp78",
              (10000, 1200192),
              (1234144912, "2902142ea33f18c59414f654212de5063033b707d5c3939556124b1120d3a0ba"),
              ("mslr10k", "web10k")),
        _mslr("MSLR-WEB30K", "Microsoft Learning to Rank (Bing): 31,531 queries, 5 folds, "
              "136 features, labels 0-4.", "s!AtsMfWUz5l8nbXGPBlwD1rnFdBY", (31531, 3771125),
              (3849406307, "08cb7977e1d5cbdeb57a9a2537a0923dbca6d46a76db9a6afc69e043c85341ae"),
              ("mslr30k", "web30k")),
        _ISTELLA_S,
    )
}


def _normalize(name: str) -> str:
    return re.sub(r"[-_\s]", "", name).lower()


def get_dataset(name: str | Dataset) -> Dataset:
    """The registered `Dataset` for ``name`` (case, ``-`` and ``_`` ignored; aliases accepted).

    Raises KeyError listing the known names.
    """
    if isinstance(name, Dataset):
        return name
    key = _normalize(str(name))
    for dataset in DATASETS.values():
        if key in {_normalize(dataset.name), *(_normalize(a) for a in dataset.aliases)}:
            return dataset
    raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
