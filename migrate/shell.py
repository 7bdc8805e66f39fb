"""Start commands as a shell runs them: the steps first, then the server.

A Procfile line or a start script is a shell command line, and often a chain:
``flask db upgrade; flask translate compile; gunicorn microblog:app`` runs two
steps, then the server, which is the last command and the one that keeps
running. Whatever asks how the app serves (its port, its bind, its reload
flag, whether it speaks HTTP) asks that last command, not the line's first
word; files it names (a gunicorn config, a uwsgi ini) are relative to the
folder its ``cd`` steps moved to.

Only what a one-line start command uses is understood: ``;``, ``&&``, ``||``,
``&`` and newlines between commands, quotes, ``$(...)``/``(...)`` kept whole,
redirections such as ``2>&1``, a pipeline's first command, leading
``NAME=value`` assignments and ``exec``. Compound commands (``while ... done``)
are left as they are.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

#: ``NAME=value`` words a shell reads as assignments before a command.
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
#: Words that start or end a compound command: ``exec`` cannot be put before them.
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "while", "until", "for", "do", "done", "case", "esac", "{", "}", "!"})



def is_assignment(word: str) -> bool:
    """Whether ``word`` is a ``NAME=value`` assignment a shell reads before a command's program."""
    return _ASSIGNMENT.match(word) is not None

@dataclass(frozen=True)
class CommandLine:
    """A start command split where a shell splits it: the steps it runs first, then the server."""

    #: The command line as written.
    text: str
    #: The commands run before the last one, in order (migrations, asset compiles, ``cd``).
    steps: tuple[str, ...]
    #: The last command, the one that keeps running: without a leading ``exec``, a pipeline's first command.
    server: str
    #: Where the last command starts in ``text``.
    server_at: int
    #: The folder the server runs in relative to the app's (``""``: the app's), from ``cd`` steps; None when
    #: a step moves somewhere a path in the tree cannot say (``cd /srv``, ``cd $DIR``).
    workdir: str | None

    @property
    def words(self) -> tuple[str, ...]:
        """The server's words, its leading ``NAME=value`` assignments and ``exec`` dropped."""
        words = _split(self.server)
        while words and (_ASSIGNMENT.match(words[0]) or words[0] == "exec"):
            words = words[1:]
        return tuple(words)

    @property
    def program(self) -> str | None:
        """The server's program by its file name (``gunicorn``, ``bin/web`` -> ``web``), or None."""
        return posixpath.basename(self.words[0]) if self.words else None

    @property
    def is_chain(self) -> bool:
        """Whether other commands run before the server."""
        return bool(self.steps)

    def path(self, name: str) -> str | None:
        """``name`` (a file the server reads) relative to the app folder, or None when its folder is unknown."""
        if self.workdir is None:
            return None
        return posixpath.normpath(posixpath.join(self.workdir, name)) if self.workdir else name

    def exec_last(self) -> str:
        """The command line with its last command run by ``exec``, for ``sh -c``.

        The server then replaces the shell and receives ``SIGTERM`` from ``docker stop``
        (a shell as PID 1 ignores it, and the container is killed 10 s later).
        Assignments stay before ``exec`` (``A=1 exec cmd``: the shell exports them to ``cmd``).
        """
        tail = self.text[self.server_at :]
        words = tail.split()
        assignments = 0
        while assignments < len(words) and _ASSIGNMENT.match(words[assignments]):
            assignments += 1
        if assignments == len(words) or words[assignments] in ("exec", *_KEYWORDS) or words[assignments].startswith("("):
            return self.text
        at = self.server_at + _offset_of_word(tail, assignments)
        return f"{self.text[:at]}exec {self.text[at:]}"


def parse(command: str) -> CommandLine:
    """Split ``command`` into the steps run first and the last command (see :class:`CommandLine`)."""
    segments = [(start, text) for start, text in _segments(command) if text.strip()]
    if not segments:
        return CommandLine(command, (), command.strip(), 0, "")
    steps = tuple(text.strip() for _, text in segments[:-1])
    start, last = segments[-1]
    start += len(last) - len(last.lstrip())
    server = _first_of_pipeline(last.strip())
    server = server[len("exec") :].lstrip() if server.split()[:1] == ["exec"] else server
    return CommandLine(command, steps, server, start, _workdir(steps))


def program_offsets(command: str) -> tuple[int, ...]:
    """Where each command of the line names its program, in order (after ``NAME=value`` words and ``exec``)."""
    offsets = []
    for start, text in _segments(command):
        words = list(re.finditer(r"\S+", text))
        skip = 0
        while skip < len(words) and (_ASSIGNMENT.match(words[skip].group()) or words[skip].group() == "exec"):
            skip += 1
        if skip < len(words):
            offsets.append(start + words[skip].start())
    return tuple(offsets)


def _segments(command: str) -> list[tuple[int, str]]:
    """``(offset, text)`` of each command between top-level ``;``, ``&&``, ``||``, ``&`` and newlines."""
    segments: list[tuple[int, str]] = []
    start, depth, quote, i = 0, 0, "", 0
    while i < len(command):
        char = command[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                quote = ""
        elif char == "\\":
            i += 1
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif depth == 0 and (width := _separator(command, i)):
            segments.append((start, command[start:i]))
            start, i = i + width, i + width
            continue
        i += 1
    segments.append((start, command[start:]))
    return segments


def _separator(command: str, i: int) -> int:
    """The width of the command separator at ``command[i]``, or 0 (``2>&1``, ``&>`` and ``|`` are not one)."""
    pair = command[i : i + 2]
    if pair in ("&&", "||"):
        return 2
    char = command[i]
    if char in ";\n":
        return 1
    if char == "&" and not (i and command[i - 1] in "<>") and pair != "&>":
        return 1
    return 0


def _first_of_pipeline(command: str) -> str:
    """``gunicorn app | tee log`` -> ``gunicorn app``: a pipeline's first command is the server."""
    depth, quote = 0, ""
    for i, char in enumerate(command):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth <= 0:  # a "||" was split on before this
            return command[:i].rstrip()
    return command


def _workdir(steps: tuple[str, ...]) -> str | None:
    """The folder ``cd`` steps leave the shell in, relative to where it started ("" for there)."""
    folder: str | None = ""
    for step in steps:
        words = _split(step)
        if words[:1] != ["cd"] or folder is None:
            continue
        target = words[1] if len(words) == 2 else "/"
        if target.startswith(("/", "~", "-")) or "$" in target:
            folder = None
            continue
        folder = posixpath.normpath(posixpath.join(folder, target))
        folder = "" if folder == "." else folder
        if folder.startswith(".."):
            folder = None
    return folder


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _offset_of_word(text: str, index: int) -> int:
    """Where whitespace-separated word number ``index`` starts in ``text``."""
    matches = list(re.finditer(r"\S+", text))
    return matches[index].start() if index < len(matches) else len(text)
