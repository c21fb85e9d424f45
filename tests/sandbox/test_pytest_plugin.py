"""The pytest plugin as a user meets it: test files of a throw-away project, run by a real
pytest in a subprocess (``pytester``), with the plugin loaded from its entry point."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

ENTRY_POINT = "factpulse_chorus_sandbox"

# Every inner run turns warnings into errors: an unclosed session or socket fails it.
STRICT_RUN = ("-p", "no:cacheprovider", "-W", "error")
# pytest-asyncio warns (so, here, fails) while this option is unset, whatever the test.
WITH_ASYNCIO = (*STRICT_RUN, "-o", "asyncio_default_fixture_loop_scope=function")

# What each user test does, through either client: submit an invoice, then read it back
# through an injected 503 that the client retries. The sandbox's journal shows the retry;
# the client's policy shows it waited nothing before it.
SUBMIT = """
    sent = {aw}client.factures.soumettre(
        invoice_number="F-PLUGIN-1",
        invoice_date=date(2025, 3, 11),
        structure_id=25827464,
        service_code="FIN-001",
        total_net_amount=Decimal("100"),
        vat_amount=Decimal("20"),
        total_gross_amount=Decimal("120"),
    )
    chorus_sandbox.add_fault(Fault("status", status=503, route="factures/consulter", count=1))
    invoice = {aw}client.factures.consulter(sent.invoice_id)
    assert invoice.invoice_number == "F-PLUGIN-1"
    assert chorus_sandbox.invoice_count() == 1
    assert chorus_sandbox.stats()["requests"]["factures/consulter"] == {{
        "fault:status:503": 1,
        "ok": 1,
    }}
    policy = {config}.retry_policy
    assert policy is chorus_client_options["retry_policy"]
    assert (policy.base_delay, policy.max_delay, policy.jitter) == (0, 0, 0)
"""

HEADER = """
from datetime import date
from decimal import Decimal

import pytest

from factpulse_chorus.sandbox import Fault
"""


@pytest.fixture(autouse=True)
def _a_project_of_its_own(request: pytest.FixtureRequest) -> None:
    """Each inner run's folder is its own project: an ini file stops pytest's search for a
    configuration there, even when the temporary folder lies inside this repository (nox
    puts it under .nox/), whose pyproject.toml sets pytest-asyncio options."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester").makeini("[pytest]\n")


def body(*, awaited: bool) -> str:
    config = "client._config" if awaited else "client._async._config"
    return textwrap.indent(
        textwrap.dedent(SUBMIT).format(aw="await " if awaited else "", config=config), "    "
    )


def blocking_test(name: str) -> str:
    return (
        f"\ndef {name}(chorus_client, chorus_sandbox, chorus_client_options):\n"
        "    client = chorus_client\n" + body(awaited=False)
    )


def async_test(name: str, decorator: str) -> str:
    return (
        f"\n{decorator}\nasync def {name}(async_chorus_client, chorus_sandbox, "
        "chorus_client_options):\n    client = async_chorus_client\n" + body(awaited=True)
    )


def test_the_installed_package_declares_the_plugin() -> None:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == ENTRY_POINT]
    assert [ep.value for ep in found] == ["factpulse_chorus.sandbox.pytest_plugin"]
    module = found[0].load()
    for fixture in ("chorus_sandbox", "chorus_client", "async_chorus_client"):
        assert hasattr(module, fixture)


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    probe = (
        "import json, sys, pytest\n"
        "before = set(sys.modules)\n"
        "import factpulse_chorus.sandbox.pytest_plugin\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == [
        "factpulse_chorus",
        "factpulse_chorus._lazy",
        "factpulse_chorus._version",
        "factpulse_chorus.sandbox",
        "factpulse_chorus.sandbox.pytest_plugin",
    ]


def test_a_pytest_run_loads_the_plugin_without_aiohttp(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_loaded_but_light():
            assert "factpulse_chorus.sandbox.pytest_plugin" in sys.modules
            assert "aiohttp" not in sys.modules
            assert "factpulse_chorus._client" not in sys.modules
        """
    )
    pytester.runpytest_subprocess(*STRICT_RUN, "-p", "no:asyncio").assert_outcomes(passed=1)


def test_both_fixtures_in_pytest_asyncio_strict_mode(pytester: pytest.Pytester) -> None:
    # No configuration: pytest-asyncio's default, strict mode, with two loop scopes (the
    # module's loop is still open when the fixture closes the client, the test's is not);
    # the blocking fixture beside them.
    pytester.makepyfile(
        HEADER
        + blocking_test("test_blocking")
        + async_test("test_function_loop", "@pytest.mark.asyncio")
        + async_test("test_module_loop", '@pytest.mark.asyncio(loop_scope="module")')
    )
    result = pytester.runpytest_subprocess(*WITH_ASYNCIO, "-o", "asyncio_mode=strict")
    result.assert_outcomes(passed=3)


def test_async_fixture_in_pytest_asyncio_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(HEADER + async_test("test_auto", "") + blocking_test("test_blocking"))
    pytester.runpytest_subprocess(*WITH_ASYNCIO).assert_outcomes(passed=2)


def test_without_pytest_asyncio(pytester: pytest.Pytester) -> None:
    """The async fixture under anyio's plugin and in a sync test running its own loop, and
    the options fixture overridden by a project's conftest (in a folder of its own)."""
    # As anyio's documentation asks: the backend a project runs on, here asyncio only.
    pytester.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n"
    )
    pytester.makepyfile(
        test_anyio=HEADER + async_test("test_anyio", "@pytest.mark.anyio"),
        # asyncio.run() closes its loop before teardown: the fixture still closes the client.
        test_own_loop=HEADER
        + "import asyncio\n\n"
        + "def test_own_loop(async_chorus_client, chorus_sandbox, chorus_client_options):\n"
        + "    async def scenario():\n"
        + "        client = async_chorus_client\n"
        + textwrap.indent(textwrap.dedent(body(awaited=True)), "        ")
        + "    asyncio.run(scenario())\n",
    )
    overridden = pytester.mkpydir("overridden")
    (overridden / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture
            def chorus_client_options(chorus_client_options):
                return {**chorus_client_options, "max_retries": 0}
            """
        )
    )
    (overridden / "test_no_retry.py").write_text(
        textwrap.dedent(
            """
            import pytest

            from factpulse_chorus import ServerError
            from factpulse_chorus.sandbox import Fault

            def test_no_retry(chorus_client, chorus_sandbox):
                chorus_sandbox.add_fault(Fault("status", status=503, route="factures/consulter"))
                with pytest.raises(ServerError):
                    chorus_client.factures.consulter(1234567)
                assert chorus_sandbox.stats()["requests"]["factures/consulter"] == {
                    "fault:status:503": 1
                }
            """
        )
    )
    result = pytester.runpytest_subprocess(*STRICT_RUN, "-p", "no:asyncio", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*overridden/test_no_retry.py::test_no_retry PASSED*"])


def test_no_option_disables_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_sync(chorus_client):
            pass

        def test_sandbox(chorus_sandbox):
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        *STRICT_RUN, "-p", "no:asyncio", "-p", f"no:{ENTRY_POINT}"
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*fixture 'chorus_client' not found*"])
    result.stdout.fnmatch_lines(["*fixture 'chorus_sandbox' not found*"])
