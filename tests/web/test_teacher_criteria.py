"""The criteria editor: the engine's validation, field by field; saving is audited."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from edursft.generation import store
from edursft.generation.pretrain import preset_config, pretrain
from tutoring.models import AuditEvent, CriteriaSet, ModelVersion

pytestmark = pytest.mark.django_db


def _post(client, url, spec, **extra):
    data = {"name": "Fractions practice", "spec_text": json.dumps(spec), "is_active": "on", **extra}
    return client.post(url, data)


def test_a_wrong_value_is_reported_with_its_field_path(client, school, invalid_spec):
    spec, field = invalid_spec
    client.force_login(school.tina)
    page = _post(client, reverse("teacher-criteria-edit", args=[school.criteria_a.pk]), spec).content.decode()
    assert f'<code class="field-name">{field}</code>' in page
    assert "must be greater than 0" in page
    school.criteria_a.refresh_from_db()
    assert school.criteria_a.spec != spec


def test_text_that_is_not_json_is_reported_at_the_specification_field(client, school):
    client.force_login(school.tina)
    response = client.post(
        reverse("teacher-criteria-new"), {"name": "Broken", "spec_text": '{"criteria": [', "is_active": "on"}
    )
    assert "Not valid JSON at line 1" in response.content.decode()
    assert not CriteriaSet.objects.filter(name="Broken").exists()


def test_a_nul_character_in_the_specification_is_refused_at_its_field(client, school, valid_spec):
    # PostgreSQL's jsonb cannot store U+0000: saving it would be a server error there.
    spec = {
        **valid_spec,
        "criteria": [{"name": "banned_terms", "weight": 1.0, "params": {"terms": ["a\x00b"]}}],
    }
    client.force_login(school.tina)
    page = _post(client, reverse("teacher-criteria-new"), spec).content.decode()
    assert 'id="id_spec_text_error"' in page and "NUL character" in page
    assert not CriteriaSet.objects.filter(name="Fractions practice").exists()


def test_saving_a_valid_specification_stores_it_and_audits_it(client, school, valid_spec):
    client.force_login(school.tina)
    response = _post(
        client,
        reverse("teacher-criteria-new"),
        valid_spec,
        classroom=school.class_a.pk,
        skills=[school.fractions.pk],
        save="1",
    )
    created = CriteriaSet.objects.get(name="Fractions practice")
    assert response.status_code == 302
    assert created.spec == valid_spec and created.owner == school.tina
    assert list(created.skills.all()) == [school.fractions]
    assert AuditEvent.objects.filter(action="criteria.create", actor=school.tina).exists()


def test_a_teacher_cannot_attach_criteria_to_another_teachers_class(client, school, valid_spec):
    client.force_login(school.tina)
    page = _post(
        client, reverse("teacher-criteria-new"), valid_spec, classroom=school.class_b.pk
    ).content.decode()
    assert "Select a valid choice" in page
    assert not CriteriaSet.objects.filter(name="Fractions practice").exists()


def test_every_field_of_the_criteria_form_has_a_label(client, school):
    client.force_login(school.tina)
    page = client.get(reverse("teacher-criteria-new")).content.decode()
    for name in ["name", "classroom", "skills", "is_active", "spec_text"]:
        assert f'<label for="id_{name}">' in page, name


def test_the_preview_shows_each_candidates_outcome_on_every_criterion(client, school, valid_spec):
    client.force_login(school.tina)
    page = _post(
        client,
        reverse("teacher-criteria-edit", args=[school.criteria_a.pk]),
        valid_spec,
        skills=[school.fractions.pk],
        preview="1",
    ).content.decode()
    assert 'id="preview"' in page
    rows = page.count('<ul class="outcomes">')
    assert rows >= 1
    for label in ("length", "answer_verified", "banned_terms"):
        assert f">{label}: " in page
    school.criteria_a.refresh_from_db()
    assert school.criteria_a.spec != valid_spec  # a preview saves nothing


def test_the_preview_samples_the_active_generator_loaded_once_per_version(
    client, school, valid_spec, tmp_path, monkeypatch
):
    first = pretrain(preset_config("tiny", out=tmp_path / "first"))
    second = pretrain(preset_config("tiny", out=tmp_path / "second", seed=1))
    loads = []
    real_load = store.load_generator
    monkeypatch.setattr(store, "load_generator", lambda path: loads.append(path) or real_load(path))
    version = ModelVersion.objects.create(
        kind=ModelVersion.Kind.GENERATOR, label="g1", path=str(first), status=ModelVersion.Status.ACTIVE
    )
    client.force_login(school.tina)
    url = reverse("teacher-criteria-edit", args=[school.criteria_a.pk])
    for _ in range(2):
        page = _post(client, url, valid_spec, skills=[school.fractions.pk], preview="1").content.decode()
        assert page.count('<ul class="outcomes">') >= 1
    assert loads == [first]
    version.status = ModelVersion.Status.RETIRED
    version.save()
    ModelVersion.objects.create(
        kind=ModelVersion.Kind.GENERATOR, label="g2", path=str(second), status=ModelVersion.Status.ACTIVE
    )
    _post(client, url, valid_spec, skills=[school.fractions.pk], preview="1")
    assert loads == [first, second]


def test_the_editor_lists_every_registered_criterion(client, school):
    from edursft.criteria import REGISTRY

    client.force_login(school.tina)
    page = client.get(reverse("teacher-criteria-new")).content.decode()
    for name in REGISTRY:
        assert f"<code>{name}</code>" in page, name
