"""The Monday-morning load test and fault runs (``python -m eschool.load``)."""
