"""How a syscall's wasm parameters map to handler arguments and results.

A :class:`Syscall` lists its parameters as *slots*. Each slot consumes one or
more wasm parameters. Input slots become handler arguments (in order); output
slots receive the handler's result (one output: the value itself; several: a
tuple, in order). The ``wasm`` layer interprets these descriptions: it is the
only code that touches guest memory, and it validates every output pointer
*before* the handler runs, so a bad pointer gets EFAULT with no side effect.
"""

from __future__ import annotations

import enum
import struct
import threading
from collections.abc import Callable
from typing import Any, Literal, NamedTuple


class Kind(enum.Enum):
    # Inputs.
    U32 = "u32"  # one i32 -> int (unsigned)
    U64 = "u64"  # one i64 -> int (unsigned)
    S32 = "s32"  # one i32 -> int (signed: pids, signal numbers)
    STR_ARRAY = "str_array"  # (ptr, count) -> list[bytes]: u32 pointers to C strings
    ARRAY_IN = "array_in"  # (ptr, count) -> list[tuple] of ``layout`` records
    STRUCT_IN = "struct_in"  # (ptr) -> tuple unpacked with ``layout``, or None if ptr is 0
    S64 = "s64"  # one i64 -> int (signed)
    STR = "str"  # (ptr, len) -> str (UTF-8; EILSEQ if not)
    BYTES = "bytes"  # (ptr, len) -> bytes
    IOV_IN = "iov_in"  # (iovs, iovs_len) -> bytes (gathered)
    # Inputs whose result is written back.
    IOV_OUT = "iov_out"  # (iovs, iovs_len) -> capacity: int; result bytes scattered
    BUF_OUT = "buf_out"  # (ptr, len) -> capacity: int; result bytes copied to ptr
    # Outputs.
    OUT_LEN = "out_len"  # (ptr) <- u32 length of the previous IOV_OUT/BUF_OUT result
    OUT_U32 = "out_u32"  # (ptr) <- int
    OUT_U64 = "out_u64"  # (ptr) <- int
    OUT_STRUCT = "out_struct"  # (ptr) <- tuple packed with ``layout``
    OUT_STRUCT_OPT = "out_struct_opt"  # as OUT_STRUCT, but ptr 0 means "not wanted"
    OUT_STR_ARRAY = "out_str_array"  # (argv, argv_buf) <- list[bytes] (args_get, environ_get)
    # poll_oneoff: (in, out, nsubscriptions, nevents_ptr): subscriptions in, events out.
    POLL = "poll"


_WASM_PARAMS = {
    Kind.S32: 1, Kind.STR_ARRAY: 2, Kind.ARRAY_IN: 2, Kind.STRUCT_IN: 1, Kind.OUT_STRUCT_OPT: 1,
    Kind.U32: 1, Kind.U64: 1, Kind.S64: 1, Kind.STR: 2, Kind.BYTES: 2, Kind.IOV_IN: 2,
    Kind.IOV_OUT: 2, Kind.BUF_OUT: 2, Kind.OUT_LEN: 1, Kind.OUT_U32: 1, Kind.OUT_U64: 1,
    Kind.OUT_STRUCT: 1, Kind.OUT_STR_ARRAY: 2, Kind.POLL: 4,
}
_INPUT = {
    Kind.S32, Kind.STR_ARRAY, Kind.ARRAY_IN, Kind.STRUCT_IN, Kind.U32, Kind.U64, Kind.S64,
    Kind.STR, Kind.BYTES, Kind.IOV_IN, Kind.IOV_OUT, Kind.BUF_OUT, Kind.POLL,
}
_OUTPUT = {
    Kind.OUT_STRUCT_OPT, Kind.IOV_OUT, Kind.BUF_OUT, Kind.OUT_LEN, Kind.OUT_U32, Kind.OUT_U64,
    Kind.OUT_STRUCT, Kind.OUT_STR_ARRAY, Kind.POLL,
}


class Slot(NamedTuple):
    name: str
    kind: Kind
    layout: struct.Struct | None = None  # for OUT_STRUCT(_OPT), STRUCT_IN, ARRAY_IN
    #: For ARRAY_IN: record fields that are a (pointer, length) string pair, given by
    #: the pointer's index; each pair becomes one ``str`` field (empty if the length is 0).
    strings: tuple[int, ...] = ()
    #: For U32/U64 inputs: how strace prints it (e.g. a flags decoder).
    fmt: Callable[[int], str] | None = None

    @property
    def wasm_params(self) -> int:
        return _WASM_PARAMS[self.kind]

    @property
    def is_input(self) -> bool:
        return self.kind in _INPUT

    @property
    def is_output(self) -> bool:
        return self.kind in _OUTPUT

    @property
    def wasm_types(self) -> tuple[str, ...]:
        if self.kind in (Kind.U64, Kind.S64):
            return ("i64",)
        return ("i32",) * self.wasm_params


#: A handler takes the process first, then one Python value per input slot.
Handler = Callable[..., Any]


class Syscall(NamedTuple):
    """One imported function: name, slots, handler, and what the wasm function returns:
    ``"errno"`` (the usual), ``"value"`` (the handler's int, as i32) or ``"none"``
    (``proc_exit``).
    """

    module: str
    name: str
    slots: tuple[Slot, ...]
    handler: Handler
    returns: Literal["errno", "value", "none"] = "errno"

    @property
    def wasm_params(self) -> tuple[str, ...]:
        out: list[str] = []
        for s in self.slots:
            out.extend(s.wasm_types)
        return tuple(out)

    @property
    def result_slots(self) -> tuple[Slot, ...]:
        """Output slots that take a value from the handler's result (OUT_LEN does not:
        it reports the length of the buffer before it)."""
        return tuple(s for s in self.slots if s.is_output and s.kind is not Kind.OUT_LEN)


# Short constructors keep the table readable.
def u32(name: str, fmt: Callable[[int], str] | None = None) -> Slot:
    return Slot(name, Kind.U32, fmt=fmt)


def u64(name: str, fmt: Callable[[int], str] | None = None) -> Slot:
    return Slot(name, Kind.U64, fmt=fmt)


def s64(name: str) -> Slot:
    return Slot(name, Kind.S64)


def string(name: str) -> Slot:
    return Slot(name, Kind.STR)


def data(name: str) -> Slot:
    return Slot(name, Kind.BYTES)


def iov_in(name: str) -> Slot:
    return Slot(name, Kind.IOV_IN)


def iov_out(name: str) -> Slot:
    return Slot(name, Kind.IOV_OUT)


def buf_out(name: str) -> Slot:
    return Slot(name, Kind.BUF_OUT)


def out_len(name: str) -> Slot:
    return Slot(name, Kind.OUT_LEN)


def out_u32(name: str) -> Slot:
    return Slot(name, Kind.OUT_U32)


def out_u64(name: str) -> Slot:
    return Slot(name, Kind.OUT_U64)


def out_struct(name: str, layout: struct.Struct) -> Slot:
    return Slot(name, Kind.OUT_STRUCT, layout=layout)


def out_str_array(name: str) -> Slot:
    return Slot(name, Kind.OUT_STR_ARRAY)


def poll(name: str) -> Slot:
    return Slot(name, Kind.POLL)


def s32(name: str) -> Slot:
    return Slot(name, Kind.S32)


def str_array(name: str) -> Slot:
    return Slot(name, Kind.STR_ARRAY)


def array_in(name: str, layout: struct.Struct, strings: tuple[int, ...] = ()) -> Slot:
    return Slot(name, Kind.ARRAY_IN, layout=layout, strings=strings)


def struct_in(name: str, layout: struct.Struct) -> Slot:
    return Slot(name, Kind.STRUCT_IN, layout=layout)


def out_struct_opt(name: str, layout: struct.Struct) -> Slot:
    return Slot(name, Kind.OUT_STRUCT_OPT, layout=layout)


# -- handlers made on first use --------------------------------------------------------
class HandlerGroup:
    """The object whose methods handle one group of calls (the socket calls, ...),
    made by ``make`` when the first of them is linked or called: a run whose
    programs import none of them never imports their module. One per kernel, as
    the object would be."""

    __slots__ = ("_lock", "_make", "_obj")

    def __init__(self, make: Callable[[], object]) -> None:
        self._make = make
        self._obj: object | None = None
        self._lock = threading.Lock()

    def obj(self) -> object:
        obj = self._obj
        if obj is None:
            with self._lock:
                obj = self._obj
                if obj is None:
                    obj = self._obj = self._make()
        return obj

    def handler(self, name: str) -> LazyHandler:
        return LazyHandler(self, name)


class LazyHandler:
    """The method ``name`` of a :class:`HandlerGroup`'s object; calling it makes the
    object first. The wasm layer binds :meth:`resolve`'s method (:func:`resolved`)."""

    __slots__ = ("group", "name")

    def __init__(self, group: HandlerGroup, name: str) -> None:
        self.group = group
        self.name = name

    def resolve(self) -> Handler:
        handler: Handler = getattr(self.group.obj(), self.name)
        return handler

    def __call__(self, *args: Any) -> Any:
        return self.resolve()(*args)

    def __repr__(self) -> str:
        return f"<lazy handler {self.name}>"


def resolved(sc: Syscall) -> Syscall:
    """``sc`` with its handler made if it is a :class:`LazyHandler`."""
    if isinstance(sc.handler, LazyHandler):
        return sc._replace(handler=sc.handler.resolve())
    return sc
