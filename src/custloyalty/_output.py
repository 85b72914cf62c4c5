"""Writing a user's file: atomically, through a symbolic link, never over a read-only file.

The one place that writes outputs (the command line's tables and states, ``write_report``):

- the content goes to a temporary file beside the target and is moved onto it with
  :func:`os.replace`, so an error or Ctrl-C leaves the previous file as it was;
- an output that is a symbolic link is written through it: the link stays, the file it points
  to is replaced;
- a replaced file keeps its permission bits, a new one gets ``0o666`` less the umask (not
  :func:`tempfile.mkstemp`'s private ``0o600``);
- an existing read-only file is refused, judged by its permission bits (:func:`os.access`
  says yes to root).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from custloyalty.errors import ValidationError

__all__ = ["atomic_path", "real_target", "refuse_read_only"]


def real_target(path: str | os.PathLike[str]) -> Path:
    """Return the file an output path names: a symbolic link's target (the link is kept)."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def refuse_read_only(path: str | os.PathLike[str], what: str) -> None:
    """Refuse an existing output file without write permission (it would be replaced anyway).

    ``what`` starts the message (``"cannot write --output x.csv"``). The permission bits are
    read, not :func:`os.access`, which says yes to root.
    """
    try:
        mode = real_target(path).stat().st_mode
    except OSError:
        return  # no file yet
    if stat.S_ISREG(mode) and not mode & 0o222:
        msg = (
            f"{what}: the existing file is read-only\nHint: choose another output path, or make "
            "the file writable (chmod u+w) if it may be replaced."
        )
        raise ValidationError(msg)


def _mode_for(target: Path) -> int:
    """Permission bits for the output: the old file's, else 0o666 less the umask."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` when the block ends.

    The temporary file keeps the suffixes of the path given (``.csv.gz`` stays compressed; a
    link ``out.csv`` to ``old.csv.gz`` is written as the ``.csv`` asked for). On any
    exception, ``KeyboardInterrupt`` included, it is removed and ``target`` is untouched.
    """
    given = Path(target)
    final = real_target(given)  # a link stays a link: its target is replaced
    suffix = "".join(given.suffixes)
    stem = final.name.split(".")[0]
    fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{stem}.", suffix=suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(final))
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
