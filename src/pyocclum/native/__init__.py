"""The native helper library (zig, loaded with ctypes) and what it does:
``library`` builds and loads it, ``leafhash`` hashes the integrity image's
blocks, ``aead`` seals and opens sefs nodes."""
