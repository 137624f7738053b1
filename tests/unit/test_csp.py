"""The pages' Content-Security-Policy, and its one widening: where a consent form may lead."""

from __future__ import annotations

from vrm.serving.csp import content_security_policy


def test_every_page_keeps_its_forms_on_this_site_by_default() -> None:
    policy = content_security_policy()
    assert "form-action 'self';" in policy and "script-src 'self';" in policy
    assert policy.endswith("frame-ancestors 'none'")


def test_a_consent_page_may_add_exactly_the_clients_origin() -> None:
    policy = content_security_policy(["https://app.northwind.example", "http://127.0.0.1:8123"])
    assert "form-action 'self' http://127.0.0.1:8123 https://app.northwind.example;" in policy


def test_nothing_that_is_not_an_origin_gets_into_the_policy() -> None:
    hostile = [
        "https://a.example; script-src *",
        "https://a.example;sandbox",
        "https://a.example/path",
        "https://*.example",
        "http://[::1]:8080",
        "javascript:",
        "https://A.example",
        "",
    ]
    assert content_security_policy(hostile) == content_security_policy()
