"""Command-line front ends: ``occlum`` (:mod:`~pyocclum.cli.run`, :mod:`~pyocclum.cli.commands`)
and ``occlum-cc`` / ``occlum-c++`` (:mod:`~pyocclum.cli.cc`)."""
