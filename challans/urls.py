"""The citizens' portal, mounted at the site root."""

from django.urls import include, path

from challans import views

app_name = "portal"

urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("challans/", views.results, name="results"),
    path("forget/", views.forget, name="forget"),
    path("challan/<uuid:public_token>/", views.challan_detail, name="challan"),
    path(
        "challan/<uuid:public_token>/evidence/<str:signed>/",
        views.evidence_file,
        name="evidence",
    ),
    path("challan/<uuid:public_token>/pdf/", views.challan_pdf, name="pdf"),
    path("challan/<uuid:public_token>/contest/", views.contest, name="contest"),
    path("verify/<uuid:public_token>/", views.verify, name="verify"),
    path("api/payments/callback/", views.payment_callback, name="payment-callback"),
    path("i18n/", include("django.conf.urls.i18n")),
]
