"""Use cases: one function per thing a shopper, a merchant or a platform makes happen.

They import the domain and the ports at run time. `Services` (the composition root's
bundle of unit of work, adapters, clock and queue) appears in type hints only, so the
dependency points inward: the caller hands the workflow what it needs.
"""
