"""WaitQueue: tokens, and the subscribers that poll/epoll watch many queues with."""

from __future__ import annotations

import threading

from pyocclum.fs.waitq import WaitQueue


def test_since_a_token_does_not_sleep_after_a_notify() -> None:
    q = WaitQueue()
    token = q.token()
    q.notify()
    done = threading.Event()

    def sleeper() -> None:
        q.since(token).wait(10)
        done.set()

    t = threading.Thread(target=sleeper)
    t.start()
    assert done.wait(5)
    t.join()


def test_subscribers_are_called_on_notify_until_unsubscribed() -> None:
    q = WaitQueue()
    calls: list[str] = []

    def a() -> None:
        calls.append("a")

    def b() -> None:
        calls.append("b")

    q.subscribe(a)
    q.subscribe(b)
    q.notify()
    assert calls == ["a", "b"]
    q.unsubscribe(a)
    q.unsubscribe(a)  # absent: nothing
    q.notify()
    assert calls == ["a", "b", "b"]


def test_a_subscriber_may_notify_another_queue() -> None:
    inner, outer = WaitQueue(), WaitQueue()
    inner.subscribe(outer.notify)
    token = outer.token()
    inner.notify()
    assert outer.token() != token
