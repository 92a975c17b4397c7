"""Search through the service, on the tantivy backend and (when the database is PostgreSQL) the
PostgreSQL backend: ranking, facets, cross-lingual retrieval, permissions, outbox semantics,
bad input and a damaged index."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from ssehub.library import services as library
from ssehub.library.models import Item, Status
from ssehub.search import outbox
from ssehub.search import services as search
from ssehub.search.models import Outbox

BACKENDS = ["tantivy", "postgres"]


@pytest.fixture(params=BACKENDS, autouse=True)
def backend(request, settings, db):
    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL backend needs DATABASE_URL=postgres://...")
    settings.SSEHUB_SEARCH_BACKEND = request.param
    return request.param


@pytest.fixture
def corpus(make_item, indexed) -> dict[str, Item]:
    items = {
        "water": make_item(
            {"en": "Water cooperatives and safe drinking water in rural Bolivia"},
            abstract={"en": "Community water cooperatives supply safe drinking water to "
                            "villages in the Andes, governed by their members."},
            sdgs="6", countries="BO", date="2019", type="case-study", organisation="ilo",
            creators="Maria Quispe"),
        "women": make_item(
            {"en": "Women's cooperatives and decent work in West Africa"},
            abstract={"en": "Savings cooperatives help women traders in Senegal and Mali "
                            "to find decent work and income."},
            sdgs="5; 8", countries="SN; ML", date="2021", type="report", organisation="ilo",
            creators="Aminata Diallo"),
        "energy": make_item(
            {"fr": "Les coopératives d'énergie renouvelable en France"},
            abstract={"fr": "Les citoyens financent des éoliennes et des panneaux solaires "
                            "par des coopératives locales."},
            sdgs="7", countries="FR", date="2020", type="report", organisation="ripess"),
        "housing": make_item(
            {"es": "Cooperativas de vivienda en Uruguay"},
            abstract={"es": "Las cooperativas de vivienda por ayuda mutua construyen casas "
                            "para familias de bajos ingresos."},
            sdgs="11", countries="UY", date="2018", type="case-study", organisation="ripess"),
        "finance": make_item(
            {"en": "Social finance for the solidarity economy"},
            abstract={"en": "Ethical banks and community investment funds lend to social "
                            "enterprises; cooperatives are mentioned once."},
            sdgs="8; 17", countries="FR", date="2022", type="policy-brief",
            full_text="Ethical banks lend to social enterprises. " * 20),
        "draft": make_item({"en": "Draft note on water cooperatives"}, status=Status.DRAFT,
                           organisation="ilo", sdgs="6"),
    }
    indexed()
    return items


def ids(response) -> list[int]:
    return [hit.id for hit in response.results]


def test_title_matches_rank_above_abstract_mentions(corpus, run_search):
    response = run_search("cooperatives", mode="lexical")
    ranking = ids(response)
    assert ranking.index(corpus["water"].pk) < ranking.index(corpus["finance"].pk)
    assert ranking.index(corpus["women"].pk) < ranking.index(corpus["finance"].pk)
    # Accent folding meets the French title « coopératives » too.
    assert corpus["energy"].pk in ranking
    assert corpus["draft"].pk not in ranking


def test_query_language(corpus, run_search):
    assert ids(run_search('"drinking water"', mode="lexical")) == [corpus["water"].pk]
    assert corpus["water"].pk not in ids(run_search("cooperatives -bolivia", mode="lexical"))
    assert set(ids(run_search("uruguay OR bolivia", mode="lexical"))) == {
        corpus["water"].pk, corpus["housing"].pk}
    assert ids(run_search("title:senegal", mode="lexical")) == []
    assert ids(run_search("senegal", mode="lexical")) == [corpus["women"].pk]
    assert ids(run_search("author:diallo", mode="lexical")) == [corpus["women"].pk]
    assert corpus["energy"].pk in ids(run_search("eolien*", mode="lexical"))
    assert corpus["energy"].pk in ids(run_search("EOLIENNES", mode="lexical"))


def test_facet_counts_respect_the_other_filters(corpus, run_search):
    response = run_search("cooperatives", mode="lexical")
    matched = Item.objects.filter(pk__in=ids(response))
    assert response.total == len(matched) >= 4
    # Counts are those of the matching items (the backends' stemmers may differ on
    # "cooperativas", so the expectation is computed from what matched).
    expected_types: dict[str, int] = {}
    for item in matched:
        expected_types[item.item_type_id] = expected_types.get(item.item_type_id, 0) + 1
    assert {f.value: f.count for f in response.facets["type"]} == expected_types
    sdg = {f.value: f.count for f in response.facets["sdg"]}
    assert sdg[6] == 1 and sdg[8] == 2 and sdg[7] == 1
    narrowed = run_search("cooperatives", mode="lexical", filters={"type": ["report"]})
    assert set(ids(narrowed)) == {corpus["women"].pk, corpus["energy"].pk}
    # The type facet ignores its own filter (to allow a second type), the others respect it.
    assert {f.value: f.count for f in narrowed.facets["type"]} == expected_types
    assert {f.value: f.count for f in narrowed.facets["sdg"]} == {5: 1, 7: 1, 8: 1}
    assert {f.value: f.count for f in narrowed.facets["country"]} == {"SN": 1, "ML": 1,
                                                                       "FR": 1}
    selected = [f for f in narrowed.facets["type"] if f.selected]
    assert [f.value for f in selected] == ["report"]
    # Regions come from the countries, up the M49 tree.
    regions = {f.value: f.count for f in run_search("").facets["region"]}
    assert regions["419"] == 2  # Latin America and the Caribbean: Bolivia, Uruguay


def test_several_values_of_a_facet_are_alternatives(corpus, run_search):
    """Values of one facet are OR-ed, facets AND-ed, for numbers and strings alike (the
    backend turns one value into a term query, a few into a disjunction)."""
    assert set(ids(run_search("", filters={"sdg": ["6", "7"]}))) == {
        corpus["water"].pk, corpus["energy"].pk}
    assert set(ids(run_search("", filters={"country": ["UY", "BO", "ZZ"]}))) == {
        corpus["water"].pk, corpus["housing"].pk}
    assert set(ids(run_search("", filters={"sdg": ["6", "7", "11"],
                                           "type": ["case-study"]}))) == {
        corpus["water"].pk, corpus["housing"].pk}
    many = [str(n) for n in range(1, 18)]  # more values than the disjunction takes
    assert run_search("", filters={"sdg": many}).total == 5
    assert ids(run_search("", filters={"country": ["ZZ"]})) == []


def test_year_range_and_organisation_filters(corpus, run_search):
    response = run_search("", year_from=2020, year_to=2021)
    assert set(ids(response)) == {corpus["energy"].pk, corpus["women"].pk}
    assert set(ids(run_search("", filters={"organisation": ["ripess"]}))) == {
        corpus["energy"].pk, corpus["housing"].pk}


def test_facet_labels_follow_a_renamed_organisation_and_the_language(corpus, run_search):
    from django.utils import translation

    from ssehub.core.models import Organisation

    def label(slug: str) -> str:
        return {f.value: f.label for f in run_search("").facets["organisation"]}[slug]

    ripess = Organisation.objects.get(slug="ripess")
    assert label("ripess") == ripess.acronym
    ripess.acronym = "RIPESS-renamed"
    ripess.save()  # the cached labels are dropped
    assert label("ripess") == "RIPESS-renamed"
    with translation.override("fr"):
        sdg_fr = {f.value: f.label for f in run_search("").facets["sdg"]}
    with translation.override("es"):
        sdg_es = {f.value: f.label for f in run_search("").facets["sdg"]}
    assert sdg_fr[6] != sdg_es[6]  # one cache per language


def test_cross_lingual_french_query_finds_english_documents(corpus, run_search):
    response = run_search("coopératives et accès à l'eau potable")
    assert response.mode == "hybrid"
    assert ids(response)[0] == corpus["water"].pk
    lexical = run_search("coopératives et accès à l'eau potable", mode="lexical")
    assert corpus["water"].pk not in ids(lexical)  # found by meaning, not by words


def test_exact_title_ranks_first_in_hybrid(corpus, run_search):
    response = run_search("Social finance for the solidarity economy")
    assert ids(response)[0] == corpus["finance"].pk
    response = run_search("Women's cooperatives and decent work in West Africa")
    assert ids(response)[0] == corpus["women"].pk


def test_browse_view_lists_recent_published_items(corpus, run_search):
    response = run_search("")
    assert response.browse
    assert ids(response)[0] == corpus["finance"].pk  # the newest
    assert response.total == 5


def test_editors_and_contributors_see_their_unpublished_items(
        corpus, run_search, editor, contributor, other_contributor):
    draft = corpus["draft"].pk
    assert draft not in ids(run_search("water", mode="lexical"))
    assert draft in ids(run_search("water", editor, mode="lexical"))
    assert draft in ids(run_search("water", contributor, mode="lexical"))  # ILO member
    assert draft not in ids(run_search("water", other_contributor, mode="lexical"))


def test_snippets_are_highlighted_and_escaped(make_item, indexed, run_search):
    make_item({"en": "Markup <b>in</b> cooperatives"},
              abstract={"en": "<script>alert(1)</script> cooperatives & friends"})
    indexed()
    hit = run_search("cooperatives", mode="lexical").results[0]
    assert "<mark>cooperatives</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet


def test_result_page_is_hydrated_completely_in_one_query(
        corpus, run_search, django_assert_num_queries):
    """The page's items come from the database with the columns a result shows, their type
    and organisation already attached (what the result list, the feeds and the digests show),
    and the head of the full text for snippets; other columns load on access."""
    response = run_search("cooperatives", mode="lexical")
    assert len(response.results) == response.total >= 4
    with django_assert_num_queries(0):
        shown = [(hit.item.get_absolute_url(), str(hit.item.item_type), hit.item.date_display,
                  str(hit.item.organisation) if hit.item.organisation else "",
                  hit.item.created_at, hit.item.updated_at) for hit in response.results]
    assert all(url for url, *_rest in shown)
    for hit in response.results:
        fresh = Item.objects.select_related("item_type", "organisation").get(pk=hit.id)
        item = hit.item
        loaded = {Item._meta.get_field(n).attname for n in search.PAGE_ITEM_FIELDS}
        assert item.get_deferred_fields() == {
            f.attname for f in Item._meta.concrete_fields} - loaded
        assert "full_text" in item.get_deferred_fields()
        for name in loaded:
            assert getattr(item, name) == getattr(fresh, name), name
        assert item.organisation is None or (
            str(item.organisation) == str(fresh.organisation))
        assert item.item_type == fresh.item_type and item.item_type.label == fresh.item_type.label
        assert item.organisation == fresh.organisation
        assert item.head == fresh.full_text[:search.HEAD_CHARS]
        assert item.display_title == fresh.display_title == hit.title
    finance = next(h.item for h in response.results if h.id == corpus["finance"].pk)
    assert finance.organisation is None and finance.head.startswith("Ethical banks lend")
    water = next(h.item for h in response.results if h.id == corpus["water"].pk)
    with django_assert_num_queries(1):  # a deferred column still loads, on access
        assert water.uid == corpus["water"].uid


def test_a_search_builds_its_lexical_query_once(corpus, run_search, backend, monkeypatch):
    if backend != "tantivy":
        # The subject is tantivy's own machinery; the PostgreSQL run covers its backend elsewhere.
        pytest.skip("counts calls of the tantivy backend's query builder")
    from ssehub.search.backends.tantivy_backend import TantivyBackend

    calls = []
    original = TantivyBackend._build_lexical

    def counting(self, parsed):
        calls.append(parsed.text)
        return original(self, parsed)

    monkeypatch.setattr(TantivyBackend, "_build_lexical", counting)
    # Two filters: the search, the facet pass and one pass per filtered facet share it.
    response = run_search("cooperatives", mode="lexical",
                          filters={"type": ["report"], "sdg": ["7"]})
    assert ids(response) == [corpus["energy"].pk]
    assert {v.value for v in response.facets["type"]} == {"report"}  # ignores its own filter
    assert calls == ["cooperatives"]
    run_search("cooperatives", mode="lexical")
    assert calls == ["cooperatives", "cooperatives"]  # per request, not remembered


def test_only_the_languages_the_index_holds_are_searched(
        corpus, run_search, make_item, indexed, index_dir, backend):
    """The index records the languages of its text fields before each commit; queries skip
    the others (they match nothing) and find a new language as soon as it is indexed."""
    if backend != "tantivy":
        # The subject is tantivy's own machinery; the PostgreSQL run covers its backend elsewhere.
        pytest.skip("reads the tantivy index folder")
    import json

    from ssehub.search.backends.tantivy_backend import LANGUAGES_FILE, TantivyBackend

    record = index_dir / "tantivy" / LANGUAGES_FILE
    assert json.loads(record.read_text()) == ["en", "es", "fr"]
    backend_ = search.get_backend()
    with backend_.reading():
        assert backend_._fields_for("title") == ["title_en", "title_fr", "title_es"]
    # A language the index did not hold yet, added by this process...
    siberia = make_item({"ru": "Кооперативы Сибири"}, countries="RU")
    indexed()
    assert ids(run_search("Сибири", mode="lexical")) == [siberia.pk]
    assert "ru" in json.loads(record.read_text())
    # ... and by another one (another backend object over the same folder).
    other = TantivyBackend(index_dir)
    italian = make_item({"it": "Cooperative sociali in Sicilia"})
    from ssehub.search import documents

    other.upsert(documents.build([italian.pk]))
    assert ids(run_search("Sicilia", mode="lexical")) == [italian.pk]
    # A rebuild records exactly what it wrote.
    search.rebuild(embed=False)
    assert json.loads(record.read_text()) == ["en", "es", "fr", "ru", "xx"]
    assert ids(run_search("Сибири", mode="lexical")) == [siberia.pk]


def test_an_index_without_a_language_record_searches_every_language(
        corpus, run_search, make_item, indexed, index_dir, backend):
    if backend != "tantivy":
        # The subject is tantivy's own machinery; the PostgreSQL run covers its backend elsewhere.
        pytest.skip("reads the tantivy index folder")
    from ssehub.search.backends.tantivy_backend import LANGUAGES_FILE

    record = index_dir / "tantivy" / LANGUAGES_FILE
    record.unlink()  # as in an index built before the record existed
    siberia = make_item({"ru": "Кооперативы Сибири"})
    indexed()
    assert not record.exists()  # the writer cannot vouch for the older documents
    assert ids(run_search("Сибири", mode="lexical")) == [siberia.pk]
    assert ids(run_search("bolivia", mode="lexical")) == [corpus["water"].pk]


def test_a_commit_by_another_process_is_seen_by_the_next_search(
        corpus, run_search, index_dir, backend):
    """The reader reloads only when meta.json changed; a writer elsewhere changes it."""
    if backend != "tantivy":
        # The subject is tantivy's own machinery; the PostgreSQL run covers its backend elsewhere.
        pytest.skip("writes the tantivy index folder directly")
    import tantivy

    from ssehub.search.backends.tantivy_backend import _schema

    assert ids(run_search("bolivia", mode="lexical")) == [corpus["water"].pk]
    assert ids(run_search("bolivia", mode="lexical")) == [corpus["water"].pk]
    schema = _schema()
    other = tantivy.Index(schema, path=str(index_dir / "tantivy"), reuse=True)
    writer = other.writer(heap_size=15_000_000, num_threads=1)
    writer.delete_documents_by_query(
        tantivy.Query.term_set_query(schema, "id", [corpus["water"].pk]))
    writer.commit()
    writer.wait_merging_threads()
    del writer
    assert ids(run_search("bolivia", mode="lexical")) == []


# --- the outbox ------------------------------------------------------------------------------

def test_rolled_back_change_leaves_no_outbox_row(corpus, run_search):
    item = corpus["water"]
    with pytest.raises(RuntimeError), transaction.atomic():
        library.update_item(item, {"title": {"en": "Irrigation in Peru"}})
        assert Outbox.objects.filter(item_id=item.pk).exists()
        raise RuntimeError("abort")
    assert not Outbox.objects.exists()
    assert ids(run_search("irrigation", mode="lexical")) == []


def test_committed_change_is_indexed_after_commit(
        corpus, run_search, django_capture_on_commit_callbacks):
    item = corpus["water"]
    with django_capture_on_commit_callbacks(execute=True):
        library.update_item(item, {"title": {"en": "Irrigation cooperatives in Peru"}})
    assert not Outbox.objects.exists()
    assert ids(run_search("irrigation", mode="lexical")) == [item.pk]
    assert ids(run_search("bolivia", mode="lexical")) == []


def test_withdrawn_items_disappear_and_republished_come_back(
        corpus, run_search, django_capture_on_commit_callbacks):
    item = corpus["water"]
    with django_capture_on_commit_callbacks(execute=True):
        library.change_status(item, Status.WITHDRAWN)
    assert item.pk not in ids(run_search("bolivia", mode="lexical"))
    assert item.pk not in ids(run_search("coopératives et accès à l'eau potable"))
    with django_capture_on_commit_callbacks(execute=True):
        library.change_status(item, Status.PUBLISHED)
    assert ids(run_search("bolivia", mode="lexical")) == [item.pk]


def test_a_failed_indexing_delays_but_does_not_lose_the_update(
        corpus, run_search, settings, index_dir, django_capture_on_commit_callbacks, backend):
    if backend != "tantivy":
        pytest.skip("breaks the index folder, which only the tantivy backend has")
    item = corpus["women"]
    moved = index_dir.with_name("moved")
    index_dir.rename(moved)
    index_dir.write_text("not a folder")  # the indexer cannot write: it fails after commit
    with django_capture_on_commit_callbacks(execute=True):
        library.update_item(item, {"title": {"en": "Fishing cooperatives in Mali"}})
    assert Outbox.objects.filter(item_id=item.pk).exists()
    index_dir.unlink()
    moved.rename(index_dir)
    assert outbox.apply_pending() >= 1
    assert ids(run_search("fishing", mode="lexical")) == [item.pk]


def test_a_drain_of_many_batches_commits_once_and_keeps_the_last_state(
        corpus, run_search, monkeypatch):
    """apply_pending reads the outbox in batches but writes the index in one commit: an item
    changed twice across batches ends with its last title only, and every row is gone."""
    item = corpus["water"]
    library.update_item(item, {"title": {"en": "Irrigation cooperatives in Peru"}})
    for number in range(4):
        library.update_item(corpus["women"], {"title": {"en": f"Weaving cooperative {number}"}})
    library.update_item(item, {"title": {"en": "Fishing cooperatives in Chile"}})
    rows = Outbox.objects.count()
    assert rows >= 6
    backend = search.get_backend()
    commits = []
    real_batched = type(backend).batched

    def counting(self):
        # An outermost batch is one commit; writes inside it join it (tantivy's _write).
        if getattr(getattr(self, "_pinned", None), "writer", None) is None:
            commits.append(1)
        return real_batched(self)

    monkeypatch.setattr(type(backend), "batched", counting)
    assert outbox.apply_pending(batch=2) == rows
    assert commits == [1] and not Outbox.objects.exists()
    assert ids(run_search("fishing chile", mode="lexical")) == [item.pk]
    assert ids(run_search("irrigation", mode="lexical")) == []
    assert ids(run_search("weaving 3", mode="lexical")) == [corpus["women"].pk]
    assert ids(run_search("bolivia", mode="lexical")) == []


def test_a_drain_that_fails_midway_keeps_every_row(corpus, run_search, monkeypatch, backend):
    """No outbox row of a failed drain is deleted, so the next drain does the whole work
    again; with tantivy nothing of it reaches the index either (one commit, rolled back)."""
    for number, key in enumerate(("water", "women", "housing")):
        library.update_item(corpus[key], {"title": {"en": f"Beekeeping cooperative {number}"}})
    rows = Outbox.objects.count()
    real_apply = search.apply_changes
    calls = []

    def failing(item_ids, backend=None):
        calls.append(item_ids)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_apply(item_ids, backend)

    monkeypatch.setattr(search, "apply_changes", failing)
    with pytest.raises(RuntimeError):
        outbox.apply_pending(batch=1)
    assert Outbox.objects.count() == rows
    if backend == "tantivy":
        assert ids(run_search("beekeeping", mode="lexical")) == []
    monkeypatch.setattr(search, "apply_changes", real_apply)
    assert outbox.apply_pending() == rows
    assert len(ids(run_search("beekeeping", mode="lexical"))) == 3


def test_deleted_items_leave_the_index(corpus, run_search, indexed):
    item = corpus["housing"]
    item.delete()
    indexed()
    assert ids(run_search("uruguay", mode="lexical")) == []


def test_related_changes_reach_the_index(corpus, run_search, indexed):
    """Countries (m2m) and SDG links (a separate table) change without an item save."""
    item = corpus["finance"]
    item.countries.add("KE")
    indexed()
    response = run_search("", filters={"country": ["KE"]})
    assert ids(response) == [item.pk]


def test_rebuild_and_check(corpus, indexed):
    report = search.check()
    assert report.ok and report.indexed == report.expected == len(corpus)
    Item.objects.filter(pk=corpus["water"].pk).update(title={"en": "Changed behind the back"})
    Outbox.objects.all().delete()
    report = search.check()
    assert report.stale == [corpus["water"].pk] and not report.ok
    assert search.rebuild() == len(corpus)
    assert search.check().ok


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [
    '"unbalanced', "water OR", "AND", "(((", "title:", "coop* -", "' OR 1=1 --",
    "'; DROP TABLE search_document; --", "water) UNION SELECT password FROM auth_user --",
    "field:\"x", "\\", "*:*", "\x00",
])
def test_malformed_and_hostile_queries_are_searched_safely(corpus, run_search, q):
    response = run_search(q)
    assert not response.unavailable
    assert Item.objects.count() == len(corpus)


def test_long_query_is_cut_with_a_message(corpus, run_search):
    response = run_search("water " * 2000)
    assert response.messages and "cut" in response.messages[0]
    assert corpus["water"].pk in ids(response)


def test_unknown_facet_values_and_pages_out_of_range(corpus, run_search):
    assert run_search("", filters={"sdg": ["99"]}).total == 0
    response = run_search("", filters={"sdg": ["seven"], "country": ["ZZ"]})
    assert response.total == 0 and response.messages
    beyond = run_search("cooperatives", page=50)
    assert beyond.results == [] and beyond.total > 0 and beyond.messages
    deep = run_search("cooperatives", page=10**9, page_size=10**6)
    assert deep.results == [] and deep.page_size == search.MAX_PAGE_SIZE


def test_missing_or_corrupt_index_is_rebuilt(corpus, run_search, index_dir, backend):
    if backend != "tantivy":
        pytest.skip("the index folder belongs to the tantivy backend")
    import shutil

    shutil.rmtree(index_dir / "tantivy")
    response = run_search("bolivia", mode="lexical")
    assert ids(response) == [corpus["water"].pk] and response.messages
    (index_dir / "tantivy" / "meta.json").write_text("{ not json")
    search._backends.clear()
    from ssehub.search.backends.tantivy_backend import TantivyBackend

    TantivyBackend._indexes.clear()
    response = run_search("bolivia", mode="lexical")
    assert ids(response) == [corpus["water"].pk]


def test_too_big_to_rebuild_inline_is_reported(corpus, run_search, index_dir, settings,
                                               backend):
    if backend != "tantivy":
        pytest.skip("the index folder belongs to the tantivy backend")
    import shutil

    settings.SSEHUB_SEARCH_AUTO_REBUILD_MAX = 1
    shutil.rmtree(index_dir / "tantivy")
    response = run_search("bolivia")
    assert response.unavailable and "reindex" in response.messages[0]
