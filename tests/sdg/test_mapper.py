"""The SDG mapper: combination, statuses, targets, evidence, long and bad input; editors'
decisions on items survive machine re-runs and become training data."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied

from ssehub.sdg import mapper, services

WATER = (
    "Access to safe drinking water and sanitation remains a challenge in rural areas. "
    "Community water cooperatives build and run wells and pipes, and households pay fair "
    "tariffs that cover maintenance, so that every family has clean water at home."
)
ENERGY = (
    "Citizen-owned renewable energy cooperatives install solar panels and wind turbines. "
    "They increase the share of renewable energy in the local energy mix and lower the energy "
    "bills of their members, while improving energy efficiency in public buildings."
)
GENDER = (
    "Women's cooperatives give women control over income and assets. Gender equality in "
    "leadership, equal pay and the end of discrimination against women and girls are the "
    "principles of these organisations, which fight violence against women."
)
OCEAN_INTRO = "The oceans matter to everyone, but this report is about other things."


def goals(result: mapper.MapResult) -> list[int]:
    return [g.goal for g in result.goals]


def test_water_paragraph_is_sdg6_confirmed_with_positions_and_targets():
    result = mapper.classify(WATER)
    assert result.language == "en" and result.goals[0].goal == 6
    six = result.goals[0]
    assert six.status == "confirmed" and 0.5 < six.score <= 1
    assert "6.1" in [t.target for t in six.targets]
    assert six.features and all(weight > 0 for _f, weight in six.features)
    terms = [t for e in six.evidence for t in e.terms]
    assert terms, "keyword evidence expected"
    for term in terms:
        assert WATER[term.start:term.end] == term.text
    for evidence in six.evidence:
        assert WATER[evidence.start:evidence.end] == evidence.text


def test_target_titles_come_in_the_readers_language():
    result = mapper.classify(WATER, reader_language="fr")
    title = next(t.title for t in result.goals[0].targets if t.target == "6.1")
    assert title.startswith("D’ici à 2030") or "eau potable" in title


def test_french_and_spanish_text_are_mapped_natively():
    fr = mapper.classify("L'égalité entre les femmes et les hommes et l'autonomisation des "
                         "femmes et des filles sont au cœur des coopératives féminines, qui "
                         "luttent contre la violence et la discrimination à l'égard des femmes.")
    assert fr.language == "fr" and 5 in goals(fr)[:2]
    es = mapper.classify("Las cooperativas de energía renovable instalan paneles solares y "
                         "aumentan la proporción de energía renovable en el consumo de las "
                         "comunidades rurales, con acceso a electricidad asequible.")
    assert es.language == "es" and goals(es)[0] == 7


def test_a_long_report_gets_the_goals_it_covers_not_its_introduction():
    body = "\n\n".join([OCEAN_INTRO] + [ENERGY] * 20 + [GENDER] * 20)
    result = mapper.classify(body)
    top = goals(result)[:2]
    assert set(top) == {5, 7}
    assert result.passages > 10
    assert 14 not in goals(result)[:3]
    seven = next(g for g in result.goals if g.goal == 7)
    assert seven.coverage > 0.3


def test_a_language_the_model_does_not_know_falls_back_to_keywords():
    swahili = ("Ushirika wa wakulima unasaidia kupunguza umaskini vijijini na kuboresha "
               "upatikanaji wa maji safi kwa jamii nzima ya kijiji chetu.")
    result = mapper.classify(swahili, lang="sw")
    assert any("not known to the statistical model" in n for n in result.notes)
    assert all(g.score <= mapper.KEYWORD_ONLY_CAP for g in result.goals)


@pytest.mark.parametrize("text", ["", "   ", "water", "12345 678", "\x00\x01\x02" * 50,
                                  "ÿþ\x7f€‰" * 200])
def test_empty_tiny_and_garbage_text_gives_no_confident_goal(text):
    result = mapper.classify(text)
    assert all(g.score < 0.5 for g in result.goals)


def test_five_megabytes_are_processed_in_bounded_passages():
    text = ("\n\n".join([WATER, ENERGY, GENDER]) + "\n\n") * 12000  # about 5.3 MB
    assert len(text) > 5_000_000
    result = mapper.classify(text)
    assert result.passages <= mapper.MAX_PASSAGES
    assert len({5, 6, 7} & set(goals(result)[:3])) >= 2


def test_passages_cover_the_text_in_order():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(10))
    spans = mapper.passages(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text.rstrip())
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize("text", [
    "", "   ", "One short line.", "  Leading blanks. " + WATER,
    "\n\n".join([WATER, ENERGY, GENDER] * 6),  # a head, then paragraph passages
    "\n\n".join([WATER, ENERGY, GENDER]) + " tail" * 5,  # a short rest joins the head
    "\n\n".join([WATER, ENERGY, GENDER]) + " tail" * 60,  # a longer rest does not
    "x" * 5000 + " " + WATER + " " + ENERGY,  # one giant "word"
])
def test_first_passage_is_the_head_and_reads_only_the_start(text):
    spans = mapper.passages(text)
    head = mapper.first_passage(text)
    assert head == (text[spans[0][0]:spans[0][1]] if spans else "")
    if len(text.strip()) > mapper.HEAD_CHARS + 400:
        # The head ends with the word that reaches HEAD_CHARS (one giant word: that word).
        assert mapper.HEAD_CHARS <= len(head) < mapper.HEAD_CHARS + 200 or " " not in head
        assert len(spans) > 1


# --- items -----------------------------------------------------------------------------------

@pytest.fixture
def water_item(db, tmp_path):
    from ssehub.library.ingest.inputs import from_bytes
    from ssehub.library.ingest.pipeline import Options, ingest_one
    from ssehub.library.models import Item

    result = ingest_one(from_bytes(WATER.encode(), "water.txt"), Options())
    assert result.status == "created", result
    return Item.objects.get(pk=result.id)


@pytest.mark.django_db
def test_ingestion_maps_every_item(water_item):
    machine = water_item.sdg_links.filter(source="machine")
    goal_links = machine.filter(target=None)
    assert goal_links.filter(goal=6, status="confirmed").exists()
    six = goal_links.get(goal=6)
    assert six.confidence > 0.5 and six.evidence and six.evidence[0]["terms"]
    assert machine.filter(goal=6, target="6.1").exists()


@pytest.mark.django_db
def test_editor_decisions_survive_a_re_run_and_are_exported(water_item, editor):
    services.decide(water_item, 6, "confirm", actor=editor)
    services.decide(water_item, 8, "reject", actor=editor)
    services.decide(water_item, 11, "add", actor=editor, target="11.1")
    services.map_item(water_item)  # the machine runs again
    links = water_item.sdg_links
    assert links.filter(source="editor", goal=6, rejected=False).exists()
    assert links.filter(source="editor", goal=8, rejected=True).exists()
    assert links.filter(source="editor", goal=11, target="11.1").exists()
    shown = services.effective_links(water_item)
    assert 8 not in {link.goal_id for link in shown}
    assert {6, 11} <= {link.goal_id for link in shown}
    assert all(link.source == "editor" for link in shown if link.goal_id == 6)
    out = StringIO()
    assert services.export_labels(out) == 1
    record = json.loads(out.getvalue())
    assert record["labels"] == "6;11" and record["rejected"] == "8"
    assert record["targets"] == ["11.1"] and "drinking water" in record["text"]
    # Labels are metadata: confirming and adding make versions (a rejection is a decision
    # about the machine's proposal, kept on its own row, not a metadata change).
    comments = list(water_item.versions.filter(comment__startswith="SDG")
                    .values_list("comment", flat=True))
    assert sorted(comments) == ["SDG 11.1: add", "SDG 6: confirm"]


@pytest.mark.django_db
def test_editing_metadata_keeps_rejections(water_item, editor):
    from ssehub.library.services import update_item

    services.decide(water_item, 8, "reject", actor=editor)
    update_item(water_item, {"sdgs": ["6"]}, actor=editor)
    assert water_item.sdg_links.filter(source="editor", goal=8, rejected=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["contributor", "plain_user", "anonymous"])
def test_only_editors_decide(water_item, role, request):
    actor = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        services.decide(water_item, 6, "reject", actor=actor)
    assert not water_item.sdg_links.filter(source="editor").exists()


@pytest.mark.django_db
def test_bad_decisions_are_refused(water_item, editor):
    with pytest.raises(ValueError):
        services.decide(water_item, 6, "maybe", actor=editor)
    with pytest.raises(ValueError):
        services.decide(water_item, 6, "add", actor=editor, target="7.1")


# --- the item page ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_item_page_shows_evidence_and_lets_editors_decide(client, water_item, editor):
    from ssehub.library.models import Status
    from ssehub.library.services import change_status

    change_status(water_item, Status.PUBLISHED)
    page = client.get(water_item.get_absolute_url()).content.decode()
    assert "Why SDG 6?" in page and "<mark>drinking</mark>" in page
    assert "Editor's decisions" not in page
    client.force_login(editor)
    assert "Editor's decisions" in client.get(water_item.get_absolute_url()).content.decode()
    response = client.post(f"/items/{water_item.pk}/sdgs/", {"goal": "6", "decision": "reject"})
    assert response.status_code == 302
    assert water_item.sdg_links.filter(source="editor", goal=6, rejected=True).exists()
    # Rejected goals disappear from the page, the SDG filter and the home page counts.
    client.logout()
    page = client.get(water_item.get_absolute_url()).content.decode()
    assert "Why SDG 6?" not in page
    listing = client.get("/items/?sdg=6").content.decode()
    assert f'href="/items/{water_item.pk}/"' not in listing


@pytest.mark.django_db
def test_item_page_refuses_decisions_from_contributors(client, water_item, contributor):
    client.force_login(contributor)
    client.post(f"/items/{water_item.pk}/sdgs/", {"goal": "6", "decision": "reject"})
    assert not water_item.sdg_links.filter(source="editor").exists()


@pytest.mark.django_db
def test_sdg_changes_mark_the_item_changed_for_harvesters(water_item, editor):
    before = water_item.updated_at
    services.decide(water_item, 6, "reject", actor=editor)
    water_item.refresh_from_db()
    assert water_item.updated_at > before
    before = water_item.updated_at
    services.map_item(water_item)
    water_item.refresh_from_db()
    assert water_item.updated_at > before


# --- batches ---------------------------------------------------------------------------------

def _essentials(result: mapper.MapResult) -> dict:
    """What a reader and the item's links see of a result (scores to the stored precision)."""
    return {
        "language": result.language, "passages": result.passages, "notes": result.notes,
        "goals": [(g.goal, g.status, round(g.score, 4), round(g.coverage, 4),
                   [(t.target, round(t.score, 4)) for t in g.targets],
                   [(e.start, e.end) for e in g.evidence], [f for f, _w in g.features])
                  for g in result.goals],
    }


@pytest.mark.parametrize("chunk", [mapper.BATCH_PASSAGES, 3])  # 3: several model calls
def test_a_batch_is_classified_as_each_text_alone(chunk, monkeypatch):
    monkeypatch.setattr(mapper, "BATCH_PASSAGES", chunk)
    swahili = ("Ushirika wa wakulima unasaidia kupunguza umaskini vijijini na kuboresha "
               "upatikanaji wa maji safi kwa jamii nzima ya kijiji chetu.")
    long = "\n\n".join([OCEAN_INTRO] + [ENERGY] * 20 + [GENDER] * 20)
    texts = [WATER, "", long, swahili, "Las cooperativas de energía renovable instalan "
             "paneles solares en las comunidades rurales.", "12345 678", GENDER]
    langs = [None, None, None, "sw", None, None, "en"]
    batch = mapper.classify_many(texts, langs)
    alone = [mapper.classify(text, lang=lang) for text, lang in zip(texts, langs, strict=True)]
    assert [_essentials(r) for r in batch] == [_essentials(r) for r in alone]
    assert goals(batch[0])[0] == 6 and batch[1].notes == ["no text to classify"]
    assert batch[2].passages > 10 and batch[3].language == "sw"
    assert mapper.classify_many([]) == []


@pytest.mark.django_db
def test_a_batch_of_items_gets_the_links_each_would_get(editor):
    from ssehub.library.models import Item, ItemGoal
    from ssehub.search.models import Outbox

    items = [Item.objects.create(title={"en": "Water"}, abstract={"en": WATER}),
             Item.objects.create(title={"en": "Energy"}, abstract={"en": ENERGY}),
             Item.objects.create(title={"en": "Nothing"})]
    services.decide(items[0], 8, "reject", actor=editor)
    for item in items:
        services.map_item(item)

    def links():
        return sorted(ItemGoal.objects.values_list(
            "item_id", "goal_id", "target_id", "source", "confidence", "status", "evidence",
            "rejected"), key=repr)

    one_by_one = links()
    assert {(i, g) for i, g, *_rest in one_by_one} >= {(items[0].pk, 6), (items[1].pk, 7)}
    before = {item.pk: Item.objects.get(pk=item.pk).updated_at for item in items}
    Outbox.objects.all().delete()
    results = mapper.classify_many([services.item_text(item) for item in items])
    services.map_items(items, results)
    assert links() == one_by_one  # the machine's links replaced, the editor's rejection kept
    for item in items:
        assert Item.objects.get(pk=item.pk).updated_at > before[item.pk]  # OAI datestamp
    assert set(Outbox.objects.values_list("item_id", flat=True)) == set(before)  # reindexed


@pytest.mark.django_db
def test_the_machine_links_follow_a_new_text(editor):
    """An update that changes an item's text maps it again: the machine's links are those of
    the new text, the editors' decisions stay; an update elsewhere leaves them alone."""
    from ssehub.library.ingest.inputs import Input
    from ssehub.library.ingest.pipeline import Options, ingest_one
    from ssehub.library.models import Item
    from ssehub.library.services import update_item

    result = ingest_one(Input(label="r", metadata={"title": "Village water committees",
                                                   "abstract": WATER}), Options())
    item = Item.objects.get(pk=result.id)

    def machine_goals() -> set[int]:
        return set(item.sdg_links.filter(source="machine", target=None)
                   .values_list("goal_id", flat=True))

    assert 6 in machine_goals() and 5 not in machine_goals()
    services.decide(item, 11, "add", actor=editor)
    services.decide(item, 6, "reject", actor=editor)
    before = list(item.sdg_links.filter(source="machine").values_list("pk", flat=True))
    update_item(item, {"publisher": "RIPESS"})  # not the text: the links stay as they are
    assert list(item.sdg_links.filter(source="machine").values_list("pk", flat=True)) == before
    update_item(item, {"title": {"en": "Women's cooperatives"}, "abstract": {"en": GENDER}})
    assert 5 in machine_goals() and 6 not in machine_goals()
    assert item.sdg_links.filter(source="editor", goal=11, rejected=False).exists()
    assert item.sdg_links.filter(source="editor", goal=6, rejected=True).exists()
