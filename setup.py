"""Build the optional C parser of boostrank.data.libsvm; all metadata lives in pyproject.toml.

When no C compiler is available the extension is skipped and the pure-Python parser is used.
"""

import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Build extensions, but never fail the install when a compiler is missing."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # any build failure falls back to the Python parser
            print(f"warning: building the C LibSVM parser failed ({exc}); using pure Python")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"warning: building {ext.name} failed ({exc}); using pure Python")


setup(
    ext_modules=[
        Extension(
            "boostrank.data._libsvm_parser",
            sources=["boostrank/data/_libsvm_parser.c"],
            # exact float parsing needs strict IEEE arithmetic: never -ffast-math
            extra_compile_args=["-O3"] if os.name == "posix" else [],
        )
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
