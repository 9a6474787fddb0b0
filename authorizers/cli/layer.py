"""``authorizers layer build|fetch``: the Lambda layer, for one or more runtimes and CPUs.

``build --format dir`` writes the ``python/`` tree itself: that is what ``sam build`` runs
(layer/Makefile), so the zip and the SAM-built layer come from one code path. ``fetch`` only
fills the wheel cache, so later builds (and tests) can run offline.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from authorizers import layer
from authorizers.cli import EXIT_OK, CliError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="layer_action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="build the layer (a reproducible zip, or a dir)")
    fetch = actions.add_parser("fetch", help="download the wheels a build needs, for offline use")
    for action in (build, fetch):
        action.add_argument(
            "--runtime",
            nargs="+",
            choices=sorted(layer.RUNTIMES),
            default=[layer.DEFAULT_RUNTIME],
            metavar="RUNTIME",
            help=f"one or more of {', '.join(sorted(layer.RUNTIMES))} (default: %(default)s)",
        )
        action.add_argument(
            "--arch",
            nargs="+",
            choices=sorted(layer.ARCHITECTURES),
            default=[layer.DEFAULT_ARCHITECTURE],
            metavar="ARCH",
            help="x86_64 and/or arm64 (default: %(default)s)",
        )
        action.add_argument(
            "--with",
            dest="extras",
            type=_extras,
            default=(),
            metavar="EXTRAS",
            help=f"opt-in features' packages, comma-separated: {','.join(layer.LAYER_EXTRAS)}",
        )
        action.add_argument("--cache-dir", type=Path, help="wheel and tree cache location")
        action.add_argument("--refresh", action="store_true", help="ask the index for updates")
    build.add_argument("--out", type=Path, default=Path("dist"), help="output directory")
    build.add_argument(
        "--format", choices=("zip", "dir"), default="zip", help="dir: OUT/python (sam build)"
    )
    build.add_argument("--no-compile", action="store_true", help="ship no .pyc files")
    build.add_argument("--compile-with", metavar="PYTHON", help="interpreter writing the .pyc")
    build.add_argument("--offline", action="store_true", help="fail instead of downloading")


def _extras(text: str) -> tuple[str, ...]:
    extras = tuple(sorted({part.strip() for part in text.split(",") if part.strip()}))
    unknown = [extra for extra in extras if extra not in layer.LAYER_EXTRAS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown extras {unknown}; choose from {','.join(layer.LAYER_EXTRAS)}"
        )
    return extras


def _mebibytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def describe(build: layer.LayerBuild) -> str:
    """One line per build: where it is, how big, whether it carries ``.pyc``."""
    sizes = f"{_mebibytes(build.unzipped_bytes)} unzipped"
    if build.zipped_bytes is not None:
        sizes = f"{_mebibytes(build.zipped_bytes)} zip ({build.zipped_bytes} bytes), {sizes}"
    compiled = f".pyc by {build.compiled_with}" if build.compiled_with else "no .pyc"
    return f"{build.target.name}: {build.path}  {sizes}, {compiled}"


def run(args: argparse.Namespace) -> int:
    pairs = itertools.product(args.runtime, args.arch)
    targets = [layer.LayerTarget(runtime, arch) for runtime, arch in pairs]
    cache_dir = args.cache_dir or layer.default_cache_dir()
    try:
        if args.layer_action == "fetch":
            for target in targets:
                layer.fetch(target, cache_dir, refresh=args.refresh, extras=args.extras)
                print(f"{target.name}: wheels cached in {cache_dir}")
            return EXIT_OK
        if args.format == "dir" and len(targets) > 1:
            raise CliError("--format dir builds one runtime and architecture at a time")
        for target in targets:
            build = layer.build_layer(
                target,
                args.out,
                as_zip=args.format == "zip",
                byte_compile=not args.no_compile,
                compile_with=args.compile_with,
                cache_dir=cache_dir,
                refresh=args.refresh,
                offline=args.offline,
                extras=args.extras,
            )
            print(describe(build))
    except layer.LayerBuildError as error:
        raise CliError(str(error)) from None
    return EXIT_OK


if __name__ == "__main__":  # ``python -m authorizers.cli.layer build ...`` (layer/Makefile)
    from authorizers.cli import main

    sys.exit(main(["layer", *sys.argv[1:]]))
