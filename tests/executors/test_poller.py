"""The executor's one epoll per loop: real pipes, a real event loop."""
from __future__ import annotations

import asyncio
import os
import select

import pytest

from jupyter_flow.executors.poller import Poller, poller


async def _readable_once(watch: Poller, fd: int, payload: bytes, writer: int) -> bytes:
    loop = asyncio.get_running_loop()
    got = loop.create_future()

    def on_readable():
        watch.remove(fd)
        got.set_result(os.read(fd, 100))
    watch.add(fd, on_readable)
    os.write(writer, payload)
    return await asyncio.wait_for(got, 5)


def test_a_handler_runs_when_its_descriptor_is_readable_and_not_after_remove():
    async def main():
        watch = poller()
        assert poller() is watch   # one per loop
        r, w = os.pipe()
        try:
            assert await _readable_once(watch, r, b"hi", w) == b"hi"
            calls = []
            watch.add(r, lambda: calls.append(os.read(r, 100)))
            watch.remove(r)
            os.write(w, b"again")
            await asyncio.sleep(0.05)
            assert calls == []   # removed: the loop no longer calls it
            watch.remove(r)      # removing twice is harmless
        finally:
            os.close(r)
            os.close(w)
    asyncio.run(main())


def test_descriptors_ready_together_are_all_dispatched():
    async def main():
        watch = poller()
        pipes = [os.pipe() for _ in range(3)]
        seen: dict[int, bytes] = {}
        done = asyncio.get_running_loop().create_future()

        def handler(fd):
            def on_readable():
                watch.remove(fd)
                seen[fd] = os.read(fd, 10)
                if len(seen) == len(pipes) and not done.done():
                    done.set_result(None)
            return on_readable
        for r, w in pipes:
            watch.add(r, handler(r))
        for i, (r, w) in enumerate(pipes):
            os.write(w, b"%d" % i)
        await asyncio.wait_for(done, 5)
        assert sorted(seen.values()) == [b"0", b"1", b"2"]
        for r, w in pipes:
            os.close(r)
            os.close(w)
    asyncio.run(main())


def test_a_descriptor_number_reused_after_close_can_be_watched_again():
    # a step's pipe closed without remove(): epoll forgets it; the next pipe may get its number
    async def main():
        watch = poller()
        r, w = os.pipe()
        watch.add(r, lambda: None)
        os.close(r)
        os.close(w)
        r2, w2 = os.pipe()
        try:
            assert await _readable_once(watch, r2, b"new", w2) == b"new"
        finally:
            os.close(r2)
            os.close(w2)
    asyncio.run(main())


def test_each_loop_has_its_own_poller():
    first = asyncio.run(_current())
    second = asyncio.run(_current())
    assert first is not second


async def _current() -> Poller:
    return poller()


def test_without_epoll_the_loops_own_readers_are_used(monkeypatch):
    monkeypatch.delattr(select, "epoll")

    async def main():
        watch = poller()
        r, w = os.pipe()
        try:
            return await _readable_once(watch, r, b"plain", w)
        finally:
            os.close(r)
            os.close(w)
    assert asyncio.run(main()) == b"plain"


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="pidfd_open is Linux 5.3+")
def test_a_process_exit_wakes_its_handler():
    async def main():
        watch = poller()
        pid = os.posix_spawn("/bin/sh", ["sh", "-c", "exit 3"], dict(os.environ))
        pidfd = os.pidfd_open(pid)
        exited = asyncio.get_running_loop().create_future()

        def on_exit():
            watch.remove(pidfd)
            exited.set_result(None)
        watch.add(pidfd, on_exit)
        await asyncio.wait_for(exited, 5)
        os.close(pidfd)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    assert asyncio.run(main()) == 3
