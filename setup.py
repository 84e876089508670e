"""Build the optional compiled loops (``crimeharm._engine._ckernel``) from Cython.

Everything else about the package is in ``pyproject.toml``. The extension is
optional: when it cannot be compiled the package installs without it, and
``engine="auto"`` takes the numpy engine, which gives the same results (see
``crimeharm._engine``). ``_ckernel.pyx`` cimports ``_markers.pxd`` (the marker
values and the rule of precedence), found from ``src``.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

extension = Extension(
    "crimeharm._engine._ckernel",
    ["src/crimeharm/_engine/_ckernel.pyx"],
    depends=["src/crimeharm/_engine/_markers.pxd"],
    extra_compile_args=["-O3"],
    optional=True,
)
extensions = cythonize(
    [extension], include_path=["src"], compiler_directives={"language_level": "3"}
)
for ext in extensions:  # cythonize makes new Extension objects: keep them optional
    ext.optional = True
setup(ext_modules=extensions)
