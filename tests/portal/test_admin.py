"""The back office: editors run the workflow through admin actions, and every save in the
admin leaves a version that can be restored."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ssehub.library.models import Item, ItemVersion, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_editor(editor):
    """Editors reach the back office once an admin makes them staff."""
    editor.is_staff = True
    editor.save(update_fields=["is_staff"])
    return editor


def _action(client, action: str, items: list[Item]):
    return client.post(reverse("admin:library_item_changelist"), {
        "action": action, "_selected_action": [i.pk for i in items],
    }, follow=True)


def test_editor_sees_the_back_office(client, staff_editor, make_item):
    item = make_item()
    client.force_login(staff_editor)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:library_item_changelist")).status_code == 200
    assert client.get(reverse("admin:library_item_change", args=[item.pk])).status_code == 200
    assert client.get(reverse("admin:core_organisation_changelist")).status_code == 200
    assert client.get(reverse("admin:sdg_goal_changelist")).status_code == 200
    # The SDG framework is read-only, even for editors.
    assert client.get(reverse("admin:sdg_goal_add")).status_code == 403


def test_non_staff_contributor_is_kept_out(client, contributor):
    client.force_login(contributor)
    response = client.get(reverse("admin:library_item_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_publish_and_withdraw_actions(client, staff_editor, make_item):
    drafts = [make_item("Draft one", status="draft"), make_item("Draft two", status="draft")]
    client.force_login(staff_editor)
    response = _action(client, "publish", drafts)
    assert "2 item(s) moved" in response.content.decode()
    for item in drafts:
        item.refresh_from_db()
        assert item.status == Status.PUBLISHED
        assert item.status_changes.last().changed_by == staff_editor
    _action(client, "withdraw", drafts[:1])
    drafts[0].refresh_from_db()
    assert drafts[0].status == Status.WITHDRAWN


def test_refused_transition_is_reported_per_item(client, staff_editor, make_item):
    published = make_item("Already out", status="published")
    draft = make_item("Not yet", status="draft")
    client.force_login(staff_editor)
    # Published → in review is not a workflow step: refused for that item, done for the other.
    response = _action(client, "send_to_review", [published, draft])
    html = response.content.decode()
    assert "Already out" in html and "You may not move this item" in html
    published.refresh_from_db()
    draft.refresh_from_db()
    assert published.status == Status.PUBLISHED
    assert draft.status == Status.IN_REVIEW


def _change_form_data(client, item: Item) -> dict:
    """The admin change form as the browser would submit it (initial values + inlines)."""
    response = client.get(reverse("admin:library_item_change", args=[item.pk]))
    form = response.context["adminform"].form
    data: dict = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[f"{inline_form.prefix}-{name}"] = value
    return data


def test_admin_save_records_a_version_and_restore_brings_it_back(client, staff_editor,
                                                                make_item):
    item = make_item("Original title")
    assert item.versions.count() == 1
    client.force_login(staff_editor)
    data = _change_form_data(client, item)
    data["title"] = '{"en": "Corrected title"}'
    response = client.post(reverse("admin:library_item_change", args=[item.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    item.refresh_from_db()
    assert item.title == {"en": "Corrected title"}
    latest = item.versions.order_by("-number").first()
    assert latest.number == 2
    assert latest.comment == "edited in admin"
    assert latest.changed_by == staff_editor
    assert "title" in latest.changed_fields

    first = ItemVersion.objects.get(item=item, number=1)
    change_page = client.get(reverse("admin:library_itemversion_change", args=[first.pk]))
    assert "Restore this version" in change_page.content.decode()
    response = client.post(reverse("admin:library_itemversion_restore", args=[first.pk]))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == {"en": "Original title"}
    assert item.versions.order_by("-number").first().comment == "restored version 1"


def test_restore_action_on_the_version_list(client, staff_editor, make_item):
    from ssehub.library.services import update_item

    item = make_item("First")
    update_item(item, {"title": {"en": "Second"}})
    client.force_login(staff_editor)
    first = item.versions.get(number=1)
    client.post(reverse("admin:library_itemversion_changelist"),
                {"action": "restore", "_selected_action": [first.pk]})
    item.refresh_from_db()
    assert item.title == {"en": "First"}


def test_a_new_text_saved_in_the_admin_or_restored_goes_through_the_hooks(
        client, staff_editor, make_item, settings):
    """The machine's SDG links follow an item's text, whichever way it changes."""
    from tests.library import hooks

    settings.SSEHUB_INGEST_HOOKS = ["tests.library.hooks.record"]
    item = make_item("Original title")
    client.force_login(staff_editor)
    hooks.CALLS.clear()
    data = _change_form_data(client, item)
    data["publisher"] = "RIPESS"  # not the text
    assert client.post(reverse("admin:library_item_change", args=[item.pk]), data
                       ).status_code == 302
    assert hooks.CALLS == []
    data["title"] = '{"en": "Corrected title"}'
    assert client.post(reverse("admin:library_item_change", args=[item.pk]), data
                       ).status_code == 302
    assert [pk for pk, _files in hooks.CALLS] == [item.pk]
    first = ItemVersion.objects.get(item=item, number=1)
    client.post(reverse("admin:library_itemversion_restore", args=[first.pk]))
    assert [pk for pk, _files in hooks.CALLS] == [item.pk, item.pk]
