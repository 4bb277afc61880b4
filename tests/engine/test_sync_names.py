"""Lock identities: which synchronization entries exclude each other."""
from __future__ import annotations

from jupyter_flow.engine.sync import requirements


def test_database_mutex_is_not_the_local_mutex_of_the_same_name():
    """Argo keeps database mutexes in the sync database and local ones in the controller: a
    workflow holding database mutex ``welcome`` does not block one waiting on local ``welcome``."""
    local = requirements({"mutexes": [{"name": "welcome"}]}, {})
    database = requirements({"mutexes": [{"name": "welcome", "database": True}]}, {})
    assert local != database
    assert requirements({"mutexes": [{"name": "welcome", "database": True}]}, {}) == database
    assert [limit for _, limit in local + database] == [1, 1]


def test_same_mutex_name_in_two_namespaces_is_two_locks():
    a = requirements({"mutexes": [{"name": "m", "namespace": "a"}]}, {})
    b = requirements({"mutexes": [{"name": "m", "namespace": "b"}]}, {})
    assert a != b
