"""The course: one script per lecture, ``lectures/lNN_<slug>.py`` (see ../shared/CURRICULUM.md).

``python -m lectures`` lists them, ``python -m lectures NN`` runs one, ``--tour`` runs them all.
"""
