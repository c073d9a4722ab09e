"""Vendor the pinned npm files listed in scripts/vendor.lock, checking every checksum.

    python scripts/vendor_frontend.py          # fetch with `npm pack`, verify, copy into place
    python scripts/vendor_frontend.py --check  # only verify the committed files (no npm, no network)

The vendored files are committed, so a fresh clone serves the UI without npm; run this after
changing a pin (then put the new checksums in the lock: a mismatch is refused, never written).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "scripts" / "vendor.lock"


@dataclass(frozen=True)
class Entry:
    package: str
    version: str
    tarball_sha256: str
    member: str
    dest: str
    sha256: str


def entries(lock: Path = LOCK) -> list[Entry]:
    out = []
    for line in lock.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(Entry(*line.split()))
    return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(root: Path = ROOT) -> list[str]:
    """The problems with the committed files: missing, or not the bytes the lock names."""
    problems = []
    for e in entries():
        path = root / e.dest
        if not path.is_file():
            problems.append(f"{e.dest}: missing (run scripts/vendor_frontend.py)")
        elif sha256(path.read_bytes()) != e.sha256:
            problems.append(f"{e.dest}: sha256 differs from scripts/vendor.lock")
    return problems


def fetch(root: Path = ROOT) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tarballs: dict[tuple[str, str], Path] = {}
        for e in entries():
            key = (e.package, e.version)
            if key not in tarballs:
                name = subprocess.run(
                    ["npm", "pack", f"{e.package}@{e.version}", "--pack-destination", tmp, "--silent"],
                    check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
                tgz = Path(tmp) / name
                if sha256(tgz.read_bytes()) != e.tarball_sha256:
                    sys.exit(f"{e.package}@{e.version}: the tarball's sha256 is not the locked one")
                tarballs[key] = tgz
            with tarfile.open(tarballs[key]) as tar:
                f = tar.extractfile(e.member)
                if f is None:
                    sys.exit(f"{e.package}@{e.version}: no file {e.member}")
                data = f.read()
            if sha256(data) != e.sha256:
                sys.exit(f"{e.package}@{e.version}: {e.member} does not match its locked sha256")
            dest = root / e.dest
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            print(f"{e.dest} <- {e.package}@{e.version}/{e.member}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="verify the committed files only")
    args = ap.parse_args()
    if not args.check:
        fetch()
    problems = check()
    if problems:
        sys.exit("\n".join(problems))
    print("vendored files match scripts/vendor.lock")


if __name__ == "__main__":
    main()
