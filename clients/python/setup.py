"""Generates the gRPC stubs from Junction's .proto files while the package is built.

The protos live at the repository's proto/ (two levels up); an sdist carries a copy in proto/
beside this file. Generated modules go to junction_client/_gen/, and their absolute imports
(`from junction.v1 import ...`, `from inference import ...`) are rewritten to point inside it,
so that the package installs no top-level `junction` or `inference` module of its own.
"""
import pathlib
import re
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
# the public API; segment.proto and worker.proto are the orchestrator's and workers' own
PROTOS = [
    "inference/grpc_service.proto",
    "junction/v1/admin.proto",
    "junction/v1/conversation.proto",
    "junction/v1/pipeline.proto",
    "junction/v1/recommendation.proto",
]
IMPORT = re.compile(r"^from (junction\.v1|inference) import ", re.MULTILINE)


def proto_root() -> pathlib.Path:
    for candidate in (HERE / "proto", HERE.parent.parent / "proto"):
        if (candidate / PROTOS[0]).is_file():
            return candidate
    raise SystemExit("junction-client: the .proto files are neither in ./proto nor in ../../proto")


def generate(out: pathlib.Path) -> None:
    from grpc_tools import protoc  # a build requirement (pyproject.toml)

    root = proto_root()
    gen = out / "junction_client" / "_gen"
    shutil.rmtree(gen, ignore_errors=True)
    gen.mkdir(parents=True)
    args = ["grpc_tools.protoc", f"-I{root}", f"--python_out={gen}", f"--pyi_out={gen}", f"--grpc_python_out={gen}"]
    if protoc.main(args + PROTOS) != 0:
        raise SystemExit("junction-client: protoc failed on " + ", ".join(PROTOS))
    for package in ("", "inference", "junction", "junction/v1"):
        (gen / package / "__init__.py").touch()
    for module in gen.rglob("*.py*"):
        text = module.read_text()
        module.write_text(IMPORT.sub(lambda m: f"from junction_client._gen.{m.group(1)} import ", text))


class BuildPyWithStubs(build_py):
    def run(self):
        super().run()
        generate(pathlib.Path(self.build_lib))


setup(cmdclass={"build_py": BuildPyWithStubs})
