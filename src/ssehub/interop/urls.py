"""URLs of interoperability out (namespace ``interop``): /oai, /api/..., /feeds/..., exports,
/sitemap.xml and /robots.txt.

/api/search and /api/sdg/classify belong to the search and sdg apps; the API here lives
under /api/items/, /api/organisations/, /api/sdg/goals/ and /api/schema/.
"""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from ssehub.interop import views
from ssehub.interop.feeds import ItemsAtomFeed, ItemsRssFeed
from ssehub.interop.oai import views as oai_views
from ssehub.interop.sitemaps import SITEMAPS, robots_txt

app_name = "interop"

feed_patterns = []
for extension, feed in (("atom", ItemsAtomFeed()), ("rss", ItemsRssFeed())):
    feed_patterns += [
        path(f"feeds/latest.{extension}", feed, name=f"feed_latest_{extension}"),
        path(f"feeds/sdg/<int:value>.{extension}", feed, {"kind": "sdg"},
             name=f"feed_sdg_{extension}"),
        path(f"feeds/type/<slug:value>.{extension}", feed, {"kind": "type"},
             name=f"feed_type_{extension}"),
        path(f"feeds/organisation/<slug:value>.{extension}", feed, {"kind": "organisation"},
             name=f"feed_organisation_{extension}"),
    ]

urlpatterns = [
    path("oai", oai_views.endpoint, name="oai"),
    path("oai/schemas/ssehub-item-1.0.xsd", oai_views.native_schema, name="oai_schema"),
    path("search/export", views.search_export, name="search_export"),
    path("api/", include("ssehub.interop.api.urls")),
    *feed_patterns,
    path("sitemap.xml", sitemap_views.index,
         {"sitemaps": SITEMAPS, "sitemap_url_name": "interop:sitemap_section"}, name="sitemap"),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS},
         name="sitemap_section"),
    path("robots.txt", robots_txt, name="robots"),
]
