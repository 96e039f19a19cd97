from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Nigran · Traffic enforcement"
admin.site.site_title = "Nigran admin"
admin.site.index_title = "Command and control"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("challans.urls")),
]
