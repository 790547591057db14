"""The native helper library (zig, loaded with ctypes) and what it does:
``library`` builds and loads it, ``aead`` seals and opens sefs nodes (the WASI
calls it serves are set up by ``wasm/native_calls.py``)."""
