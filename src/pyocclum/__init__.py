"""PyOcclum: a library OS running many isolated WebAssembly processes in one runtime."""

__version__ = "0.1.0"
