"""Domain services: plain values and a database session in, plain results or DomainError out.

Nothing in this package imports `telegram`.
"""
