"""The LibOS side of server mode (Instance.booted + start_program, what `occlum start`
and `occlum exec` use), from Python: no init, orphans reaped by the kernel."""

from __future__ import annotations

import os
from collections.abc import Callable

from pyocclum.boot import Instance
from pyocclum.boot.program import start_program
from pyocclum.fs.stdio import BufferStream, HostFdStream


def test_orphans_get_parent_0_and_are_reaped(make_instance: Callable[..., Instance]) -> None:
    inst = make_instance("orphan_maker")
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    err = BufferStream()
    with inst.booted() as booted:
        kernel = booted.kernel
        streams = (HostFdStream(stdin_r, readable=True, writable=False, owns_fd=True),
                   HostFdStream(out_w, readable=False, writable=True, owns_fd=True), err)
        parent = start_program(kernel, booted.config, ["/bin/orphan_maker"], [], streams)
        assert parent.pid == 2  # pid 1 is never used: there is no init
        assert parent.ppid == 0
        assert parent.sid == parent.pgid == parent.pid
        assert parent.done.wait(30)
        assert parent.status == 0, err.getvalue()
        with os.fdopen(out_r, "rb") as out:
            line = out.readline()
            assert line.startswith(b"child "), line
            child = kernel.process(int(line.split()[1]))
            # Its parent is gone (reaped at once: nobody waits for it) and, with no
            # init to adopt it, the child has parent 0.
            assert parent not in kernel.processes()
            assert child.ppid == 0
            assert not child.exited
            os.close(stdin_w)  # the child reads to EOF, says who its parent is, exits
            assert child.done.wait(30)
            assert child.status == 0, err.getvalue()
            assert out.read() == b"parent 0\n"  # EOF: both processes closed stdout
        assert child not in kernel.processes()  # reaped by the kernel, no zombie
        assert kernel.live_processes() == []
