"""Async repositories: small functions over one AsyncSession, returning model objects.

Sessions use expire_on_commit=False, so returned objects stay readable as plain values
after the unit of work ends. Every lookup by id also takes the owner's user id.
"""
