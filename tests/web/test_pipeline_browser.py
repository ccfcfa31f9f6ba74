"""An admin retrains from the browser and watches the run to the end in Debian's Chromium.

The run executes in a background thread while the page polls it (real worker
processes are exercised in tests/integration/test_pipeline.py).
"""

from __future__ import annotations

import pytest

from tests.factories import school_admin
from tests.fixtures.browser import ARTIFACTS, sign_in
from tests.fixtures.pipeline import add_school_records
from tutoring.models import ModelVersion, PipelineRun
from tutoring.pipeline.config import PRESETS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


def test_an_admin_triggers_retraining_and_watches_every_bar_fill(page, pipeline_in_background, settings):
    settings.EDURSFT_PIPELINE = {**PRESETS["tiny"], "generator": False}
    add_school_records(students=20, attempts=25, skills=3)
    school_admin(user__username="ada")
    sign_in(page, "ada", PASSWORD)

    page.goto("/pipeline/")
    page.get_by_role("button", name="Retrain now").click()
    page.wait_for_url("**/pipeline/runs/*/")
    assert page.get_by_text("This page follows it live").count() == 1  # the request returned at once

    page.locator("#run-status [data-field=status]", has_text="Succeeded").wait_for(timeout=240_000)
    bars = page.locator("progress")
    assert bars.count() == 8
    assert all(bars.nth(i).get_attribute("value") == "100" for i in range(bars.count()))
    assert page.get_by_label("Train student model").get_attribute("value") == "100"
    assert "retraining finished" in page.locator("#run-log").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pipeline-run-finished.png"), full_page=True)
    assert PipelineRun.objects.get().status == PipelineRun.Status.SUCCEEDED
    assert ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).count() == 1

    page.goto("/pipeline/versions/")
    assert page.get_by_role("table").first.get_by_text("Active").count() == 1
