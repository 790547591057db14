"""File systems: the VFS (mounts, path walk), open file descriptions, and one
module per file system type (``ramfs``, ``hostfs``, ``devfs``, ``cowfs``).

File system modules never import each other and never block: an operation
that cannot proceed raises :class:`pyocclum.errors.WouldBlock`.
"""
