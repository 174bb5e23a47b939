"""Completes protoc output into importable packages: an __init__.py in every directory, py.typed at the top."""

import pathlib
import sys


def main(root: str) -> None:
    top = pathlib.Path(root)
    for directory in sorted(p for p in top.rglob("*") if p.is_dir()):
        (directory / "__init__.py").touch()
    for package in top.iterdir():
        if package.is_dir():
            (package / "py.typed").touch()


if __name__ == "__main__":
    main(sys.argv[1])
