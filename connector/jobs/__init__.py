"""The RQ edge: queue names, retry policy, the inline fallback, and tasks of a few lines each."""
