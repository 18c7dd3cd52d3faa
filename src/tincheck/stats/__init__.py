"""Statistics on small aggregates: pure numpy / scipy / statsmodels.

One function per statistic, in a module named for its family; each docstring gives
the formula and its reference, and each test pins it to an independent implementation.
"""
