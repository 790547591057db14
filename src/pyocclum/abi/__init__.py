"""ABI constants and struct layouts shared by every layer (stdlib only).

``errno`` holds the kernel's error numbers (WASI preview1 numbering, which is
also what wasi-libc's ``<errno.h>`` uses, so the ``occlum`` extension returns
the same numbers); ``wasi`` holds WASI preview1 constants and struct layouts;
``signals`` holds Linux signal numbers and the ``wait4`` status encoding.
"""
