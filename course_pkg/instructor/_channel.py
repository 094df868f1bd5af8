"""A two-way call channel over a pair of pipes, and its value codec.

Both ends of the trusted-grading link use this module: the grader, and the
student runner (:mod:`course_pkg.instructor._student_runner`) inside the
sandbox. It needs only the standard library and numpy, so the runner can be
started from a copy of this file alone.

Wire format
-----------
A frame is ``u32 header length | u32 blob count | JSON header | blobs``,
each blob ``u64 length | bytes``. Arrays travel as ``.npy`` blobs, written
and read with ``allow_pickle=False``: what arrives is always a plain
``numpy.ndarray`` of a numeric or boolean dtype, whatever object the sender
started from. JSON carries numbers, strings, lists and tagged containers::

    {"t": "nd", "i": 0}            an array: blob 0
    {"t": "tuple", "v": [...]}     a tuple
    {"t": "dict", "v": [[k, v]]}   a dict with string keys
    {"t": "fn", "h": 3}            a callable the sender exported as handle 3
    {"t": "yours", "h": 3}         the receiver's own exported callable 3
    {"t": "name", "n": "f"}        the student's function ``f`` (grader to student)
    {"t": "rec", "kind": ..., ...} a registered record type (GradCheckResult)

Messages: ``call`` (handle or name, args, kwargs) is answered by ``return``
(value and the arguments as they are after the call, so an in-place change
is seen by the caller) or ``raise`` (exception type name and message). While
one end waits for its answer it serves the other end's calls, so a callable
may cross the link in either direction (a student's ``gradient_check`` is
handed the student's own backward, and ``check_gradients`` calls the
student's loss back).
"""

from __future__ import annotations

import builtins
import io
import json
import os
import select
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_FRAME = 256 * 2**20  # bytes: larger answers are refused, not buffered
_HEAD = struct.Struct("<II")
_BLOB = struct.Struct("<Q")


class ChannelClosed(Exception):
    """The other end closed the link or died."""


class ChannelTimeout(Exception):
    """No answer before the deadline."""


class ProtocolError(Exception):
    """A frame or value that does not follow the wire format."""


class RemoteError(Exception):
    """An exception raised on the other end whose type is not a builtin one."""

    def __init__(self, type_name: str, message: str):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message


def _exception_class(name: str) -> type[BaseException] | None:
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        return cls
    return None


def _generator_fields(rng: np.random.Generator) -> dict:
    state = rng.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        raise TypeError("only numpy's default generator (PCG64) can be passed")
    return {"state": json.dumps(state)}


def _generator_from(fields: dict) -> np.random.Generator:
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = json.loads(fields["state"])
    return rng


#: Record types every channel knows: a random generator travels with its state,
#: and the state it has after the call travels back.
BASE_RECORDS = {"Generator": (np.random.Generator, _generator_fields, _generator_from)}


class Channel:
    """One end of the link: reads frames from ``rfd``, writes them to ``wfd``.

    Parameters
    ----------
    rfd, wfd : int
        File descriptors of the incoming and outgoing pipes.
    records : dict, optional
        ``kind -> (class, to_fields, from_fields)`` for record types that may
        cross the link by value (e.g. ``GradCheckResult``).
    grader_side : bool
        True on the grader's end. Functions the grader hands over during a
        call (a reference backward given to the student's gradient check)
        can be called back only until that call returns; ``Ctrl-C`` is not
        reported to the other end but stops the grader.
    """

    def __init__(self, rfd: int, wfd: int, records: dict | None = None,
                 grader_side: bool = False):
        self.rfd, self.wfd = rfd, wfd
        self.records = {**BASE_RECORDS, **(records or {})}
        self.grader_side = grader_side
        self.exports: dict[int, Callable[..., Any]] = {}
        self.names: dict[str, Callable[..., Any]] = {}
        self._ids: dict[int, int] = {}
        self._next = 1
        self._depth = 0
        self._pid = os.getpid()

    def _only_the_owner(self) -> None:
        """A copy of the student's process made by ``os.fork`` (a fork bomb, say) leaves
        at once instead of reading or writing the link: a frame written or read by two
        processes would corrupt the conversation, and the grade with it."""
        if not self.grader_side and os.getpid() != self._pid:
            os._exit(0)

    # --- framing ---------------------------------------------------------------------------

    def _write(self, header: dict, blobs: list[bytes]) -> None:
        self._only_the_owner()
        head = json.dumps(header).encode()
        parts = [_HEAD.pack(len(head), len(blobs)), head]
        for b in blobs:
            parts += [_BLOB.pack(len(b)), b]
        data = b"".join(parts)
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.wfd, view)
            except (BrokenPipeError, OSError) as err:
                raise ChannelClosed(str(err)) from None
            view = view[n:]

    def _read_exact(self, n: int, deadline: float | None) -> bytes:
        self._only_the_owner()
        chunks, got = [], 0
        while got < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ChannelTimeout()
                ready, _, _ = select.select([self.rfd], [], [], left)
                if not ready:
                    raise ChannelTimeout()
            chunk = os.read(self.rfd, min(n - got, 1 << 20))
            if not chunk:
                raise ChannelClosed("the other end closed the link")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _read(self, deadline: float | None) -> tuple[dict, list[bytes]]:
        hlen, nblobs = _HEAD.unpack(self._read_exact(_HEAD.size, deadline))
        total = hlen
        if hlen > MAX_FRAME or nblobs > 100_000:
            raise ProtocolError(f"frame header of {hlen} bytes with {nblobs} blobs refused")
        header = json.loads(self._read_exact(hlen, deadline))
        if not isinstance(header, dict):
            raise ProtocolError("a frame header must be a JSON object")
        blobs = []
        for _ in range(nblobs):
            (size,) = _BLOB.unpack(self._read_exact(_BLOB.size, deadline))
            total += size
            if total > MAX_FRAME:
                raise ProtocolError(f"a message over {MAX_FRAME} bytes was refused")
            blobs.append(self._read_exact(size, deadline))
        return header, blobs

    # --- values ----------------------------------------------------------------------------

    def export(self, fn: Callable[..., Any]) -> int:
        """The handle under which ``fn`` can be called from the other end."""
        key = id(fn)
        if key not in self._ids:
            self.exports[self._next] = fn
            self._ids[key] = self._next
            self._next += 1
        return self._ids[key]

    def _forget_since(self, first: int) -> None:
        for handle in [h for h in self.exports if h >= first]:
            self._ids.pop(id(self.exports.pop(handle)), None)

    def encode(self, value: Any, blobs: list[bytes]) -> Any:
        """JSON-able form of ``value``; arrays are appended to ``blobs``."""
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.generic):
            value = np.asarray(value)
            return {"t": "scalar", "i": self._blob(value, blobs)}
        if isinstance(value, np.ndarray):
            return {"t": "nd", "i": self._blob(value, blobs)}
        if isinstance(value, RemoteFunction) and value.channel is self:
            return {"t": "yours", "h": value.handle}
        remote_name = getattr(value, "remote_name", None)
        if isinstance(remote_name, str) and callable(value):
            return {"t": "name", "n": remote_name}
        for kind, (cls, to_fields, _) in self.records.items():
            if type(value) is cls:
                return {"t": "rec", "kind": kind, "v": self.encode(to_fields(value), blobs)}
        if isinstance(value, tuple):
            return {"t": "tuple", "v": [self.encode(v, blobs) for v in value]}
        if isinstance(value, list):
            return [self.encode(v, blobs) for v in value]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError("only dicts with string keys can cross to the grader")
            return {"t": "dict", "v": [[k, self.encode(v, blobs)] for k, v in value.items()]}
        if callable(value):
            return {"t": "fn", "h": self.export(value)}
        raise TypeError(
            f"an object of type {type(value).__name__} cannot be graded: return numpy arrays, "
            "numbers, or tuples, lists and dicts of them")

    @staticmethod
    def _blob(arr: np.ndarray, blobs: list[bytes]) -> int:
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"arrays of dtype {arr.dtype} cannot be graded: use float64")
        buf = io.BytesIO()
        np.save(buf, np.asarray(arr), allow_pickle=False)
        blobs.append(buf.getvalue())
        return len(blobs) - 1

    def decode(self, obj: Any, blobs: list[bytes]) -> Any:
        """Inverse of :meth:`encode` (arrays come back as plain ndarrays)."""
        if obj is None or isinstance(obj, bool | int | float | str):
            return obj
        if isinstance(obj, list):
            return [self.decode(v, blobs) for v in obj]
        if not isinstance(obj, dict):
            raise ProtocolError(f"unexpected JSON value {type(obj).__name__}")
        tag = obj.get("t")
        if tag in ("nd", "scalar"):
            i = obj.get("i")
            if not isinstance(i, int) or not 0 <= i < len(blobs):
                raise ProtocolError("array reference out of range")
            arr = np.load(io.BytesIO(blobs[i]), allow_pickle=False)
            if type(arr) is not np.ndarray or arr.dtype.kind not in "biuf":
                raise ProtocolError("only numeric arrays may cross the link")
            return arr[()] if tag == "scalar" else arr
        if tag == "tuple":
            return tuple(self.decode(v, blobs) for v in obj.get("v", []))
        if tag == "dict":
            return {str(k): self.decode(v, blobs) for k, v in obj.get("v", [])}
        if tag == "fn":
            return RemoteFunction(self, int(obj["h"]))
        if tag == "yours":
            fn = self.exports.get(int(obj["h"]))
            if fn is None:
                raise ProtocolError("reference to an unknown local function")
            return fn
        if tag == "name" and not self.grader_side:
            fn = self.names.get(str(obj.get("n")))
            if fn is None:
                raise ProtocolError(f"{obj.get('n')!r} is not defined in the notebook")
            return fn
        if tag == "rec" and obj.get("kind") in self.records:
            _, _, from_fields = self.records[obj["kind"]]
            return from_fields(self.decode(obj.get("v"), blobs))
        raise ProtocolError(f"unknown value tag {tag!r}")

    # --- calls -----------------------------------------------------------------------------

    def call(self, target: int | str, args: tuple = (), kwargs: dict | None = None,
             timeout: float | None = None) -> Any:
        """Call a function of the other end and return its value.

        ``target`` is a handle or a name the other end registered. Arrays in
        ``args`` changed in place by the callee are changed here too.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        first = self._next
        self._depth += 1
        try:
            blobs: list[bytes] = []
            arg_obj = self.encode(list(args), blobs)
            kw_obj = self.encode(dict(kwargs or {}), blobs)
            self._write({"op": "call", "target": target, "args": arg_obj, "kwargs": kw_obj},
                        blobs)
            header, blobs = self.serve(deadline)
            if header.get("op") == "raise":
                cls = _exception_class(str(header.get("type")))
                msg = str(header.get("message", ""))
                raise cls(msg) if cls is not None else RemoteError(str(header.get("type")), msg)
            if header.get("op") != "return":
                raise ProtocolError(f"expected an answer, got {header.get('op')!r}")
            _copy_back(list(args), self.decode(header.get("args"), blobs))
            _copy_back(dict(kwargs or {}), self.decode(header.get("kwargs"), blobs))
            return self.decode(header.get("value"), blobs)
        finally:
            self._depth -= 1
            if self._depth == 0 and self.grader_side:
                self._forget_since(first)

    def serve(self, deadline: float | None = None) -> tuple[dict, list[bytes]]:
        """Answer incoming calls until a ``return``/``raise``/``stop`` arrives; return it."""
        while True:
            header, blobs = self._read(deadline)
            if header.get("op") != "call":
                return header, blobs
            self._answer(header, blobs)

    def _answer(self, header: dict, blobs: list[bytes]) -> None:
        try:
            target = header.get("target")
            fn = self.names.get(target) if isinstance(target, str) else self.exports.get(target)
            if fn is None:
                raise NameError(f"{target!r} is not defined in the notebook")
            args = self.decode(header.get("args"), blobs)
            kwargs = self.decode(header.get("kwargs"), blobs)
            value = fn(*args, **kwargs)
            out: list[bytes] = []
            reply = {"op": "return", "value": self.encode(value, out),
                     "args": self.encode(args, out), "kwargs": self.encode(kwargs, out)}
        except (ChannelClosed, ChannelTimeout):
            raise
        except BaseException as err:  # the callee's error travels back, whatever it is
            if isinstance(err, KeyboardInterrupt | SystemExit) and self.grader_side:
                raise
            out = []
            reply = {"op": "raise", "type": type(err).__name__, "message": str(err)[:4000]}
        self._write(reply, out)


class RemoteFunction:
    """A callable standing for a function that lives on the other end."""

    def __init__(self, channel: Channel, handle: int | str, name: str | None = None):
        self.channel, self.handle = channel, handle
        self.__name__ = name or f"remote_{handle}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.channel.call(self.handle, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__} (in the student's process)>"


def _copy_back(before: Any, after: Any) -> None:
    """Write arrays changed by the callee back into the caller's arrays."""
    if isinstance(before, np.random.Generator) and isinstance(after, np.random.Generator):
        before.bit_generator.state = after.bit_generator.state
    elif isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        if (before.shape == after.shape and before.flags.writeable
                and not np.array_equal(before, after, equal_nan=True)):
            np.copyto(before, after, casting="unsafe")
    elif isinstance(before, list | tuple) and isinstance(after, list | tuple):
        for b, a in zip(before, after):
            _copy_back(b, a)
    elif isinstance(before, dict) and isinstance(after, dict):
        for k in before.keys() & after.keys():
            _copy_back(before[k], after[k])
