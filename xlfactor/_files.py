"""Writing files so that a crash, a kill or a full disk never leaves a half-written file over a good one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def spelled(keyword: str, flag: str, cli: bool) -> str:
    """An option as the caller writes it, for a message: the Python keyword (``force=True``) or, for the command line
    (``cli``), the command's flag (``--force``)."""
    return flag if cli else keyword


def refuse_overwrite(paths, force: bool, how: str = "force=True") -> None:
    """Before any work: an existing target is an error unless ``force``; a target that is a folder always is.
    ``how`` is how the caller's user says force: ``force=True`` in Python, ``--force`` on the command line."""
    for path in map(Path, paths):
        if path.is_dir():
            raise IsADirectoryError(21, "is a folder, not a file", str(path))
        if path.exists() and not force:
            raise FileExistsError(17, f"exists; pass {how} to overwrite it", str(path))


@contextmanager
def atomic_paths(targets) -> Iterator[list[Path]]:
    """Temporary files beside each target; renamed over the targets only when the block finishes.

    On any failure the temporary files are removed and the targets are as they were.
    """
    targets = [Path(t) for t in targets]
    temps: list[Path] = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            for stale in target.parent.glob(f".{target.name}.*.part"):  # left by a killed earlier run
                stale.unlink(missing_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            os.close(fd)
            temps.append(Path(tmp))
        yield temps
        for part, target in zip(temps, targets, strict=True):
            os.chmod(part, _mode_for(target))  # mkstemp makes 0600; a workbook gets the usual permissions
            os.replace(part, target)  # atomic on one file system
    finally:
        for part in temps:
            part.unlink(missing_ok=True)


def _mode_for(target: Path) -> int:
    """The target's present permissions, or what a new file gets under the umask."""
    if target.exists():
        return target.stat().st_mode & 0o777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_text(target, text: str) -> None:
    with atomic_paths([target]) as (tmp,):
        tmp.write_text(text)
