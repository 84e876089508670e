"""Build the optional compiled loops (``crimeharm._engine._ckernel``) from Cython.

Everything else about the package is in ``pyproject.toml``. The extension is
optional: when it cannot be compiled the package installs without it and
uses its numpy path, which gives identical results (see ``crimeharm._engine.kernel``).
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

extension = Extension(
    "crimeharm._engine._ckernel",
    ["src/crimeharm/_engine/_ckernel.pyx"],
    extra_compile_args=["-O3"],
    optional=True,
)
extensions = cythonize([extension], compiler_directives={"language_level": "3"})
for ext in extensions:  # cythonize makes new Extension objects: keep them optional
    ext.optional = True
setup(ext_modules=extensions)
