"""Fixtures for the whole suite: a real redis-server for the shared rate limit tests."""

from tests.redis_server import redis_server

__all__ = ["redis_server"]
