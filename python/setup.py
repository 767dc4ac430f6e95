"""Installs the Python package madlab from the checkout, offline:

    /usr/bin/python3 -m pip install --no-build-isolation --no-index --break-system-packages ./python

The extension module madlab._madlab is built by the project's CMake build (the target
madlab_python) in ../build, or in $MADLAB_BUILD_DIR when set; an existing build is reused, so
after scripts/build.sh this only copies files. numpy and pandas come from Debian's packages
(python3-numpy, python3-pandas); pip installs nothing else.
"""

import glob
import os
import re
import shutil
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(madlab VERSION ([0-9.]+)", f.read()).group(1)


class CMakeBuild(build_ext):
    """Builds madlab._madlab with CMake and copies it where setuptools expects it."""

    def build_extension(self, ext):
        build_dir = os.environ.get("MADLAB_BUILD_DIR") or os.path.join(ROOT, "build")
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            subprocess.check_call(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja",
                                   "-DCMAKE_BUILD_TYPE=Release", "-DMADLAB_PYTHON=ON"])
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "madlab_python",
                               "-j", str(os.cpu_count() or 1)])
        built = glob.glob(os.path.join(build_dir, "python", "madlab", "_madlab*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one _madlab*.so in {build_dir}/python/madlab, "
                               f"found {built}; configure the build with -DMADLAB_PYTHON=ON")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    name="madlab",
    version=project_version(),
    description="Self-consuming training loops (model collapse): madlab's C++ library from Python",
    packages=["madlab"],
    package_dir={"madlab": "madlab"},
    ext_modules=[Extension("madlab._madlab", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    zip_safe=False,
)
