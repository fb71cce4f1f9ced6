"""Build exactly what SCF receives: one zip per function and one zip for the shared layer.

    .venv/bin/python scripts/package.py --wheels .cache/wheels/target --python-version 3.10

dist/functions/<name>.zip   index.py at the zip root (SCF puts it in /var/user)
dist/layer.zip              retail-layer: the `retail` package and requirements.txt at the zip
                            root (SCF unpacks layers into /opt, which is on PYTHONPATH)
dist/layer-cos.zip          retail-cos-layer: requirements-cos.txt (boto3), for the functions
                            serverless.yml binds it to
dist/layer/WHEELS.txt       the wheel files the layers were built from, for tag checks
dist/image/                 with --image: what image/Dockerfile copies to /var/user, i.e. both
                            layers merged in opt/, every function in functions/<name>/ and
                            the entry (image/retail_entry.py) that serves one of them
Wheels come from a local folder (no network here); `make package` downloads them first.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
ENTRY = ROOT / "image" / "retail_entry.py"
PACKAGE = ROOT / "layers" / "retail" / "retail"
TARGET_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64")


def zip_dir(source: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(source))


def build_functions(out: Path) -> list[str]:
    names = sorted(p.parent.name for p in FUNCTIONS.glob("*/index.py"))
    for name in names:
        staging = out / "functions" / name
        staging.mkdir(parents=True)
        shutil.copy2(FUNCTIONS / name / "index.py", staging / "index.py")
        zip_dir(staging, out / "functions" / f"{name}.zip")
    return names


def install(requirements: Path, staging: Path, wheels: Path, version: str, local: bool) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--find-links",
        str(wheels),
        "--only-binary=:all:",
        "--target",
        str(staging),
        "-r",
        str(requirements),
    ]
    if not local:
        command += ["--implementation", "cp", "--python-version", version]
        for platform in TARGET_PLATFORMS:
            command += ["--platform", platform]
    subprocess.run(command, check=True)


def installed_wheels(staging: Path, wheels: Path) -> list[str]:
    """The wheels pip installed into `staging` (name-version as its .dist-info folders say),
    not every wheel in the folder: retail-cos-layer's are downloaded beside them."""
    installed = {d.name.removesuffix(".dist-info").lower() for d in staging.glob("*.dist-info")}
    return sorted(
        w.name for w in wheels.glob("*.whl") if "-".join(w.name.split("-")[:2]).lower() in installed
    )


def build_layers(out: Path, wheels: Path, python_version: str, local: bool) -> None:
    staging = out / "layer"
    install(ROOT / "requirements.txt", staging, wheels, python_version, local)
    install(ROOT / "requirements-cos.txt", out / "layer-cos", wheels, python_version, local)
    zip_dir(out / "layer-cos", out / "layer-cos.zip")
    shutil.copytree(PACKAGE, staging / "retail", ignore=shutil.ignore_patterns("__pycache__"))
    (staging / "WHEELS.txt").write_text("\n".join(installed_wheels(staging, wheels)) + "\n")
    zip_dir(staging, out / "layer.zip")


def build_image(out: Path, names: list[str]) -> None:
    """The image's /var/user: the layers SCF would unpack into /opt, merged, and each
    function's folder as SCF would unpack its zip."""
    image = out / "image"
    for layer in ("layer", "layer-cos"):
        shutil.copytree(out / layer, image / "opt", dirs_exist_ok=True)
    for name in names:
        shutil.copytree(out / "functions" / name, image / "functions" / name)
    shutil.copy2(ENTRY, image / ENTRY.name)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--wheels", type=Path, required=True, help="folder of downloaded wheels")
    parser.add_argument("--python-version", default="3.10", help="SCF runtime's Python")
    parser.add_argument(
        "--local",
        action="store_true",
        help="build for this interpreter and platform (used by the tests)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--image", action="store_true", help="also lay out dist/image/ for image/Dockerfile"
    )
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    names = build_functions(args.out)
    build_layers(args.out, args.wheels, args.python_version, args.local)
    print(f"built {len(names)} function zips, layer.zip and layer-cos.zip under {args.out}")
    if args.image:
        build_image(args.out, names)
        print(f"laid out {args.out / 'image'} for image/Dockerfile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
