"""The diary's load benchmark: a region-sized data set and timed requests.

Run it as ``python -m diary.bench`` (``make bench``); it is not part of the
test suite.
"""
